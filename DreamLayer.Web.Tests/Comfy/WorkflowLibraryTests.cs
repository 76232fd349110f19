using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Tests.Domain;

namespace DreamLayer.Web.Tests.Comfy;

public sealed class WorkflowLibraryTests
{
    private static readonly WorkflowLibrary Library = new(TestPaths.Workflows);

    private static ObjectInfo RealWithout(Action<JsonObject> change)
    {
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.ObjectInfoJson))!.AsObject();
        change(json);
        return CatalogueJson.Parse(json.ToJsonString());
    }

    [Fact]
    public void FindUnsupportedModes_RealServer_RunsEveryMode() =>
        Assert.Empty(Library.FindUnsupportedModes(CatalogueJson.Parse(File.ReadAllText(TestPaths.ObjectInfoJson))));

    [Fact]
    public void FindUnsupportedModes_ServerWithoutANode_NamesTheNode()
    {
        var info = RealWithout(j => j.Remove("EmptyLatentImage"));
        var reason = Library.FindUnsupportedModes(info)[GenerationMode.Txt2Img];
        Assert.Contains("EmptyLatentImage", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FindUnsupportedModes_ServerWithoutCheckpoints_SaysWhereModelsGo()
    {
        var info = RealWithout(j => j["CheckpointLoaderSimple"]!["input"]!["required"]!["ckpt_name"]![0] = new JsonArray());
        var reason = Library.FindUnsupportedModes(info)[GenerationMode.Txt2Img];
        Assert.Contains("models/checkpoints", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FindUnsupportedModes_ServerWithoutCheckpointsOrUpscaleModels_StillUpscales()
    {
        var info = RealWithout(j => j["CheckpointLoaderSimple"]!["input"]!["required"]!["ckpt_name"]![0] = new JsonArray());
        Assert.Empty(info.ComboValues("UpscaleModelLoader", "model_name"));
        Assert.False(Library.FindUnsupportedModes(info).ContainsKey(GenerationMode.Upscale));
    }
}
