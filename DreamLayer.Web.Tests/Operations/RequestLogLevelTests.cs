using DreamLayer.Web.Operations;
using Microsoft.AspNetCore.Http;
using Serilog.Events;

namespace DreamLayer.Web.Tests.Operations;

/// <summary>
/// What the request log keeps at its default level: page loads and actions, not the many requests an open page makes
/// by itself (the circuit, pictures, and each preview frame of a running job, once per open tab).
/// </summary>
public sealed class RequestLogLevelTests
{
    private static DefaultHttpContext Request(string path, int status = StatusCodes.Status200OK)
    {
        var http = new DefaultHttpContext();
        http.Request.Path = path;
        http.Response.StatusCode = status;
        return http;
    }

    [Theory]
    [InlineData("/previews/6f0c3c5e-6a8e-4b8f-9a55-0f1c2d3e4f50")]
    [InlineData("/images/6f0c3c5e-6a8e-4b8f-9a55-0f1c2d3e4f50/thumb")]
    [InlineData("/_blazor")]
    public void RequestsAPageMakesByItself_AreLoggedAtDebug(string path) =>
        Assert.Equal(LogEventLevel.Debug, LoggingExtensions.RequestLevel(Request(path), null));

    [Fact]
    public void APreviewThatFails_IsStillLoggedAsAnError() =>
        Assert.Equal(LogEventLevel.Error, LoggingExtensions.RequestLevel(Request("/previews/6f0c3c5e-6a8e-4b8f-9a55-0f1c2d3e4f50", StatusCodes.Status500InternalServerError), null));

    [Fact]
    public void APage_IsLoggedAtInformation() =>
        Assert.Equal(LogEventLevel.Information, LoggingExtensions.RequestLevel(Request("/gallery"), null));
}
