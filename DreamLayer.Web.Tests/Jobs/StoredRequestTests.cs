using System.Text.Json.Nodes;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Data;

namespace DreamLayer.Web.Tests.Jobs;

/// <summary>A stored request carries its format's version and is read without ever throwing.</summary>
public sealed class StoredRequestTests
{
    [Fact]
    public void Write_ThenRead_GivesTheSameRequestAndRecordsTheVersion()
    {
        var request = new GenerationRequest { Prompt = "a quiet lake", Seed = 18446744073709551615UL, SeedMode = SeedMode.Fixed, Steps = 12 };

        var json = StoredRequest.Write(request);

        Assert.Equal(StoredRequest.CurrentVersion, JsonNode.Parse(json)![StoredRequest.VersionProperty]!.GetValue<int>());
        var read = Assert.IsType<StoredRequestRead>(StoredRequest.Read(json));
        Assert.Equal((request.Prompt, request.Seed, request.Steps), (read.Request.Prompt, read.Request.Seed, read.Request.Steps));
    }

    [Fact]
    public void Read_RowWrittenBeforeVersions_IsReadAsItWas()
    {
        var read = Assert.IsType<StoredRequestRead>(StoredRequest.Read("""{"prompt":"an old row","steps":9,"somethingRemoved":true}"""));

        Assert.Equal(("an old row", 9), (read.Request.Prompt, read.Request.Steps));
    }

    [Theory]
    [InlineData("""{"mode":"Sculpture"}""", "can no longer be read")]
    [InlineData("""{"steps":"many"}""", "can no longer be read")]
    [InlineData("""{"prompt":""", "can no longer be read")]
    [InlineData("""[1,2]""", "not a JSON object")]
    [InlineData("", "were not stored")]
    [InlineData("""{"requestVersion":7,"prompt":"from the future"}""", "newer version of DreamLayer")]
    public void Read_RowThatCannotBeRead_SaysWhyInWords(string json, string reason)
    {
        var unreadable = Assert.IsType<StoredRequestUnreadable>(StoredRequest.Read(json));

        Assert.Contains(reason, unreadable.Reason, StringComparison.Ordinal);
    }
}
