using System.Net.Http.Json;
using System.Text.Json;
using DreamLayer.Web.Tests.Infrastructure;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>What the stand-in was asked to run, read back the way ComfyUI reports it.</summary>
public static class ReceivedGraph
{
    /// <summary>The graph the stand-in received for the one prompt it ran (its /history).</summary>
    public static async Task<JsonElement> OnlyAsync(DreamLayerApp app)
    {
        ArgumentNullException.ThrowIfNull(app);
        using var http = new HttpClient { BaseAddress = app.StandIn!.BaseAddress };
        var history = await http.GetFromJsonAsync<JsonElement>("/history");
        var entry = Assert.Single(history.EnumerateObject()).Value;
        return entry.GetProperty("prompt")[2];
    }

    /// <summary>The inputs of the one node of a class.</summary>
    public static JsonElement NodeOfClass(JsonElement graph, string classType) =>
        Assert.Single(graph.EnumerateObject(), n => n.Value.GetProperty("class_type").GetString() == classType).Value.GetProperty("inputs");
}
