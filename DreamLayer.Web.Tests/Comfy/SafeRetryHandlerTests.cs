using System.Net;
using DreamLayer.Web.Comfy;

namespace DreamLayer.Web.Tests.Comfy;

/// <summary>Reads are retried after a transient failure; a prompt is sent exactly once, whatever happens.</summary>
public sealed class SafeRetryHandlerTests
{
    [Fact]
    public async Task A_read_that_meets_a_server_error_is_tried_again_and_succeeds()
    {
        var server = new ScriptedServer(HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK);
        using var http = Client(server);

        using var response = await http.GetAsync(new Uri("http://comfy/history/p"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, server.Calls);
    }

    [Fact]
    public async Task A_read_whose_connection_drops_is_tried_again()
    {
        var server = new ScriptedServer(null, HttpStatusCode.OK);
        using var http = Client(server);

        using var response = await http.GetAsync(new Uri("http://comfy/queue"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, server.Calls);
    }

    [Fact]
    public async Task A_read_is_tried_three_times_at_most_and_the_last_answer_is_returned()
    {
        var server = new ScriptedServer(HttpStatusCode.BadGateway, HttpStatusCode.BadGateway, HttpStatusCode.BadGateway, HttpStatusCode.OK);
        using var http = Client(server);

        using var response = await http.GetAsync(new Uri("http://comfy/system_stats"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(1 + SafeRetryHandler.MaxRetries, server.Calls);
    }

    [Fact]
    public async Task A_refusal_is_not_retried()
    {
        var server = new ScriptedServer(HttpStatusCode.NotFound, HttpStatusCode.OK);
        using var http = Client(server);

        using var response = await http.GetAsync(new Uri("http://comfy/view?filename=x.png"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(1, server.Calls);
    }

    [Fact]
    public async Task A_prompt_is_never_sent_twice_even_after_a_server_error_or_a_dropped_connection()
    {
        var failing = new ScriptedServer(HttpStatusCode.InternalServerError, HttpStatusCode.OK);
        using (var http = Client(failing))
        {
            using var content = new StringContent("{}");
            using var response = await http.PostAsync(new Uri("http://comfy/prompt"), content);
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        }
        var dropping = new ScriptedServer(null, HttpStatusCode.OK);
        using (var http = Client(dropping))
        {
            using var content = new StringContent("{}");
            await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync(new Uri("http://comfy/prompt"), content));
        }

        Assert.Equal(1, failing.Calls);
        Assert.Equal(1, dropping.Calls);
    }

    private static HttpClient Client(ScriptedServer server) => new(new SafeRetryHandler(TimeProvider.System) { InnerHandler = server });

    /// <summary>Answers each call with the next status in the script; null drops the connection.</summary>
    private sealed class ScriptedServer(params HttpStatusCode?[] script) : HttpMessageHandler
    {
        public int Calls { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var status = script[Math.Min(Calls, script.Length - 1)];
            Calls++;
            return status is { } code
                ? Task.FromResult(new HttpResponseMessage(code))
                : Task.FromException<HttpResponseMessage>(new HttpRequestException("Connection reset by peer"));
        }
    }
}
