using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using DreamLayer.Web.Features.Api;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR.Client;

namespace DreamLayer.Web.Tests.Api;

/// <summary>
/// A SignalR client of <c>/hubs/jobs</c> as a script makes one (<c>Microsoft.AspNetCore.SignalR.Client</c>), recording
/// every event it receives, in order, with its payload as JSON.
/// </summary>
internal sealed class HubClient : IAsyncDisposable
{
    private static readonly string[] EventNames =
    [
        JobHubEvents.Queued, JobHubEvents.Submitted, JobHubEvents.Started, JobHubEvents.Progress,
        JobHubEvents.Finished, JobHubEvents.Failed, JobHubEvents.Cancelled, JobHubEvents.Preview,
    ];

    private readonly ConcurrentQueue<(string Name, JsonElement Payload)> _received = new();

    private HubClient(HubConnection connection)
    {
        Connection = connection;
        foreach (var name in EventNames)
        {
            connection.On<JsonElement>(name, payload => _received.Enqueue((name, payload.Clone())));
        }
        connection.Closed += _ =>
        {
            Closed.TrySetResult();
            return Task.CompletedTask;
        };
    }

    public HubConnection Connection { get; }

    /// <summary>Completed when the server ends the connection.</summary>
    public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Every event received so far, in order.</summary>
    public IReadOnlyList<(string Name, JsonElement Payload)> Received => [.. _received];

    /// <summary>The events received so far about <paramref name="jobId"/>, in order.</summary>
    public IReadOnlyList<(string Name, JsonElement Payload)> Of(Guid jobId) =>
        [.. _received.Where(e => e.Payload.GetProperty("jobId").GetGuid() == jobId)];

    /// <summary>Connects with a personal token in <c>Authorization: Bearer</c>.</summary>
    public static Task<HubClient> WithTokenAsync(DreamLayerApp app, string token) =>
        ConnectAsync(app, JobsHub.Path, o => o.AccessTokenProvider = () => Task.FromResult<string?>(token));

    /// <summary>Connects with the token in the <c>access_token</c> query parameter, as SignalR's browser client does.</summary>
    public static Task<HubClient> WithTokenInQueryAsync(DreamLayerApp app, string token) =>
        ConnectAsync(app, $"{JobsHub.Path}?access_token={token}", _ => { });

    /// <summary>Signs <paramref name="user"/> in through the sign-in form; the cookies a browser would then hold.</summary>
    public static async Task<CookieContainer> SignInAsync(DreamLayerApp app, TestUser user)
    {
        var cookies = new CookieContainer();
        using var handler = new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false, UseCookies = true };
        using var http = AccountHttp.NewClientWith(handler, app.RootUri);
        using var signIn = await AccountHttp.PostSignInAsync(http, user.UserName, user.Password);
        Assert.Equal(HttpStatusCode.Found, signIn.StatusCode);
        return cookies;
    }

    /// <summary>Connects with the sign-in cookie of <paramref name="cookies"/>.</summary>
    public static Task<HubClient> WithCookiesAsync(DreamLayerApp app, CookieContainer cookies) =>
        ConnectAsync(app, JobsHub.Path, o => o.Cookies = cookies);

    /// <summary>Connects with nothing that says who is asking.</summary>
    public static Task<HubClient> AnonymousAsync(DreamLayerApp app) => ConnectAsync(app, JobsHub.Path, _ => { });

    private static async Task<HubClient> ConnectAsync(DreamLayerApp app, string path, Action<HttpConnectionOptions> configure)
    {
        var connection = new HubConnectionBuilder().WithUrl(new Uri(app.RootUri, path.TrimStart('/')), configure).Build();
        var client = new HubClient(connection);
        try
        {
            await connection.StartAsync();
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        return client;
    }

    /// <summary>Waits until an event named <paramref name="name"/> about <paramref name="jobId"/> has come, and answers it.</summary>
    public async Task<JsonElement> WaitForAsync(Guid jobId, string name, Func<JsonElement, bool>? where = null)
    {
        JsonElement found = default;
        await DreamLayerApp.WaitUntilAsync(() =>
        {
            foreach (var (n, payload) in Of(jobId))
            {
                if (n == name && (where is null || where(payload)))
                {
                    found = payload;
                    return true;
                }
            }
            return false;
        }, $"{name} of job {jobId} over the hub");
        return found;
    }

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}
