using System.Collections.Concurrent;
using System.Security.Claims;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace DreamLayer.Web.Features.Api;

/// <summary>
/// Live job events over SignalR at <see cref="Path"/> (documented in <c>docs/api/hub.md</c>): a connection receives the
/// events of its person's own jobs (<see cref="JobHubEvents"/>) from the moment it connects; it may follow another
/// person's job (admins only: a member gets an error for a job that is not theirs) and ask for a job's preview frames.
/// Authorised as the REST API is: a personal token (<c>Authorization: Bearer</c>, or the <c>access_token</c> query
/// parameter SignalR clients use for WebSockets) or the browser's sign-in cookie.
/// </summary>
[Authorize(Policy = ApiAccess.Policy)]
public sealed class JobsHub(JobStreams streams, JobHistory history) : Hub
{
    public const string Path = ApiAccess.HubsPrefix + "/jobs";

    public override Task OnConnectedAsync()
    {
        streams.Open(Context, Person);
        return Task.CompletedTask;
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        streams.Close(Context.ConnectionId);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Streams the events of job <paramref name="jobId"/> to this connection too and answers its state now. A person's
    /// own jobs are streamed anyway; an admin may follow anyone's. Another person's job is "not found" to a member.
    /// </summary>
    public async Task<ApiJob> FollowJob(Guid jobId)
    {
        var job = await FindAsync(jobId);
        if (!streams.Of(Context.ConnectionId).Follow(job))
        {
            throw new HubException($"A connection may follow at most {JobStream.MaxFollowed} jobs at once. Unfollow one first.");
        }
        return ApiJob.From(job, streams.Positions());
    }

    /// <summary>Stops streaming a job followed with <see cref="FollowJob"/> (the person's own jobs keep coming).</summary>
    public void UnfollowJob(Guid jobId) => streams.Of(Context.ConnectionId).Unfollow(jobId);

    /// <summary>
    /// Sends job <paramref name="jobId"/>'s preview frames (<see cref="JobHubEvents.Preview"/>) from now on, the newest
    /// one first, latest wins: a client that reads slowly gets the newest frame when it is ready, never a backlog.
    /// Your own job, or anyone's for an admin.
    /// </summary>
    public async Task SubscribePreviews(Guid jobId)
    {
        await FindAsync(jobId);
        if (!streams.Of(Context.ConnectionId).WatchPreviews(jobId))
        {
            throw new HubException($"A connection may watch the previews of at most {JobStream.MaxFollowed} jobs at once.");
        }
    }

    /// <summary>Stops the preview frames of job <paramref name="jobId"/>.</summary>
    public void UnsubscribePreviews(Guid jobId) => streams.Of(Context.ConnectionId).UnwatchPreviews(jobId);

    private SignedInUser Person => SignedInUser.From(Context.User ?? new ClaimsPrincipal()) ?? throw new HubException("Sign-in required.");

    private async Task<JobProgress> FindAsync(Guid jobId)
    {
        var person = Person;
        return await history.FindAsync(jobId, person.Id, person.IsAdmin, Context.ConnectionAborted)
            ?? throw new HubException($"There is no job {jobId} of yours.");
    }
}

/// <summary>
/// The open connections of <see cref="JobsHub"/>, each with its <see cref="JobStream"/>. A change to an account (disabled,
/// deleted, its password or role changed: <see cref="AccountAccess.Subscribe"/>) checks that person's connections at
/// once, and ends those whose sign-in is no longer good: a cookie's as the pages check it, a token's against its row.
/// </summary>
public sealed class JobStreams : IDisposable
{
    private readonly ConcurrentDictionary<string, Connection> _connections = new(StringComparer.Ordinal);
    private readonly JobEvents _events;
    private readonly JobQueue _queue;
    private readonly IHubContext<JobsHub> _hub;
    private readonly AccountAccess _access;
    private readonly ApiTokens _tokens;
    private readonly ILogger<JobStreams> _logger;
    private readonly IDisposable _accountChanges;

    public JobStreams(JobEvents events, JobQueue queue, IHubContext<JobsHub> hub, AccountAccess access, ApiTokens tokens, ILogger<JobStreams> logger)
    {
        _events = events;
        _queue = queue;
        _hub = hub;
        _access = access;
        _tokens = tokens;
        _logger = logger;
        _accountChanges = access.Subscribe(OnAccountChanged);
    }

    /// <summary>How many connections are open.</summary>
    public int Count => _connections.Count;

    internal IReadOnlyDictionary<Guid, int> Positions() => _queue.Positions();

    internal void Open(HubCallerContext context, SignedInUser person)
    {
        var connectionId = context.ConnectionId;
        var client = _hub.Clients.Client(connectionId);
        var stream = JobStream.Open(connectionId, person.Id, _events, _queue.Positions,
            (method, payload, ct) => client.SendAsync(method, payload, ct), context.Abort, _logger);
        _connections[connectionId] = new Connection(context, stream);
    }

    internal void Close(string connectionId)
    {
        if (_connections.TryRemove(connectionId, out var connection))
        {
            connection.Stream.Dispose();
        }
    }

    internal JobStream Of(string connectionId) =>
        _connections.TryGetValue(connectionId, out var connection) ? connection.Stream : throw new HubException("This connection has closed.");

    public void Dispose()
    {
        _accountChanges.Dispose();
        foreach (var id in _connections.Keys)
        {
            Close(id);
        }
    }

    private void OnAccountChanged(string userId)
    {
        foreach (var connection in _connections.Values)
        {
            if (string.Equals(connection.Stream.UserId, userId, StringComparison.Ordinal))
            {
                _ = RecheckAsync(connection);
            }
        }
    }

    private async Task RecheckAsync(Connection connection)
    {
        var context = connection.Context;
        if (!await ApiAccess.IsStillSignedInAsync(context.User ?? new ClaimsPrincipal(), _tokens, _access, _logger, $"hub connection {context.ConnectionId}"))
        {
            Close(context.ConnectionId);
            context.Abort();
        }
    }

    private sealed record Connection(HubCallerContext Context, JobStream Stream);
}
