using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Scheduling;
using DreamLayer.Domain.Workflows;

namespace DreamLayer.Web.Tests.Domain;

public sealed class FairSchedulerTests
{
    private static readonly ObjectInfo Real = CatalogueJson.Parse(File.ReadAllText(TestPaths.ObjectInfoJson));
    private static readonly DateTime T0 = new(2026, 11, 25, 12, 0, 0, DateTimeKind.Utc);
    private static readonly WorkflowTemplate Txt2Img = WorkflowTemplate.Parse(
        File.ReadAllText(Path.Combine(TestPaths.Workflows, "txt2img", "workflow.json")),
        File.ReadAllText(Path.Combine(TestPaths.Workflows, "txt2img", "manifest.json")));

    private static JobRequirements Needs(string checkpoint) =>
        JobRequirements.FromGraph(WorkflowBuilder.Build(Txt2Img, new GenerationRequest { Prompt = "p", Checkpoint = checkpoint }, 1));

    private static int _counter;

    private static WaitingJob Job(string owner, string checkpoint = "v1-5-pruned-emaonly.safetensors", int minute = 0) =>
        new(Guid.CreateVersion7(), owner, T0.AddMinutes(minute).AddTicks(Interlocked.Increment(ref _counter)), checkpoint, Needs(checkpoint));

    private static ServerSlot Server(string name, int inFlight = 0, int max = 2, string? last = null, bool online = true, ObjectInfo? catalogue = null) =>
        new(name, online, inFlight, max, last, catalogue ?? Real);

    private static readonly Dictionary<string, int> NoneInFlight = [];
    private static readonly Dictionary<string, long> NeverServed = [];

    private static WaitingJob CloudJob(string owner, string provider, int minute = 0) =>
        new(Guid.CreateVersion7(), owner, T0.AddMinutes(minute).AddTicks(Interlocked.Increment(ref _counter)), "flux-pro-1.1", JobRequirements.ForCloud(provider));

    [Fact]
    public void Plan_CloudJobs_GoOnlyToTheirProvider_WithinItsCap_AndTakeTurnsLikeOthers()
    {
        var waiting = new[] { CloudJob("alice", "FLUX"), CloudJob("alice", "FLUX", 1), CloudJob("bob", "FLUX", 2), Job("carol", minute: 3) };
        ServerSlot[] servers = [Server("gpu1"), new("cloud:Bfl", true, 0, 2, null, ObjectInfo.Empty, "FLUX"), new("cloud:OpenAi", true, 0, 5, null, ObjectInfo.Empty, "OpenAI")];

        var plan = FairScheduler.Plan(waiting, servers, NoneInFlight, NeverServed, capOf: _ => 10);

        Assert.Equal([("alice", "cloud:Bfl"), ("bob", "cloud:Bfl"), ("carol", "gpu1")], plan.Assignments.Select(a => (a.Owner, a.Server)).OrderBy(a => a.Owner));
        Assert.Empty(plan.Unrunnable);
    }

    [Fact]
    public void Plan_CloudJobWhoseProviderIsNotABackend_SaysSo_AndIsNeverSentToAServer()
    {
        var job = CloudJob("alice", "Ideogram");

        var plan = FairScheduler.Plan([job], [Server("gpu1")], NoneInFlight, NeverServed, capOf: _ => 10);

        Assert.Empty(plan.Assignments);
        Assert.Equal("Ideogram is not available (no key is set for it)", Assert.Single(plan.Unrunnable).Reason);
    }

    [Fact]
    public void Plan_OnePersonQueuedManyBeforeOthers_RoundRobinsAcrossPeople()
    {
        var waiting = Enumerable.Range(0, 10).Select(_ => Job("alice")).Concat([Job("bob", minute: 1), Job("carol", minute: 2)]).ToList();

        var plan = FairScheduler.Plan(waiting, [Server("gpu1", max: 3)], NoneInFlight, NeverServed, capOf: _ => 10);

        Assert.Equal(["alice", "bob", "carol"], plan.Assignments.Select(a => a.Owner));
    }

    [Fact]
    public void Plan_PersonServedMostRecently_GoesLast()
    {
        var waiting = new[] { Job("alice"), Job("bob", minute: 1) };
        var lastServed = new Dictionary<string, long> { ["alice"] = 7, ["bob"] = 3 };

        var plan = FairScheduler.Plan(waiting, [Server("gpu1", max: 1)], NoneInFlight, lastServed, capOf: _ => 10);

        Assert.Equal("bob", Assert.Single(plan.Assignments).Owner);
    }

    [Fact]
    public void Plan_PersonAtCap_WaitsWhileOthersAreServed()
    {
        var waiting = new[] { Job("alice"), Job("alice"), Job("bob", minute: 5) };
        var inFlight = new Dictionary<string, int> { ["alice"] = 1 };

        var plan = FairScheduler.Plan(waiting, [Server("gpu1", max: 8), Server("gpu2", max: 8)], inFlight, NeverServed, capOf: _ => 2);

        Assert.Equal(1, plan.Assignments.Count(a => a.Owner == "alice"));
        Assert.Equal(1, plan.Assignments.Count(a => a.Owner == "bob"));
    }

    [Fact]
    public void Plan_ModelOnOneServerOnly_GoesThere()
    {
        var sdxlOnly = WithCheckpoints("sd_xl_base_1.0.safetensors");
        var sd15Only = WithCheckpoints("v1-5-pruned-emaonly.safetensors");
        var waiting = new[] { Job("alice", "sd_xl_base_1.0.safetensors"), Job("bob", "v1-5-pruned-emaonly.safetensors") };

        var plan = FairScheduler.Plan(waiting, [Server("a", catalogue: sd15Only), Server("b", catalogue: sdxlOnly)], NoneInFlight, NeverServed, _ => 10);

        Assert.Equal("b", plan.Assignments.Single(a => a.Owner == "alice").Server);
        Assert.Equal("a", plan.Assignments.Single(a => a.Owner == "bob").Server);
    }

    [Fact]
    public void Plan_NoOnlineServerHasTheModel_SaysWhichModel()
    {
        var job = Job("alice", "sdxl_base.safetensors");

        var plan = FairScheduler.Plan([job], [Server("a", catalogue: WithCheckpoints("v1-5.safetensors")), Server("b", online: false)], NoneInFlight, NeverServed, _ => 10);

        Assert.Empty(plan.Assignments);
        Assert.Equal("no online server has sdxl_base.safetensors", Assert.Single(plan.Unrunnable).Reason);
    }

    [Fact]
    public void Plan_ServerLacksANode_IsNotChosen()
    {
        var noSampler = CatalogueJson.Parse("""{"CheckpointLoaderSimple":{"input":{"required":{"ckpt_name":[["v1-5-pruned-emaonly.safetensors"]]}},"output":["MODEL"],"output_node":false}}""");
        var plan = FairScheduler.Plan([Job("alice")], [Server("a", catalogue: noSampler)], NoneInFlight, NeverServed, _ => 10);

        Assert.StartsWith("no online server has the node ", Assert.Single(plan.Unrunnable).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_NoServerOnline_SaysSo()
    {
        var plan = FairScheduler.Plan([Job("alice")], [Server("a", online: false)], NoneInFlight, NeverServed, _ => 10);

        Assert.Equal("no server is online", Assert.Single(plan.Unrunnable).Reason);
    }

    [Fact]
    public void Plan_TwoIdleServers_PrefersTheOneWithTheCheckpointLoaded()
    {
        var plan = FairScheduler.Plan([Job("alice", "sd_xl_base_1.0.safetensors")],
            [Server("cold", last: "v1-5-pruned-emaonly.safetensors"), Server("warm", last: "sd_xl_base_1.0.safetensors")], NoneInFlight, NeverServed, _ => 10);

        Assert.Equal("warm", Assert.Single(plan.Assignments).Server);
    }

    [Fact]
    public void Plan_TwoBusyServers_PrefersTheOneWithTheCheckpointLoaded()
    {
        var plan = FairScheduler.Plan([Job("alice", "sd_xl_base_1.0.safetensors")],
            [Server("cold", inFlight: 1, max: 3), Server("warm", inFlight: 2, max: 3, last: "sd_xl_base_1.0.safetensors")], NoneInFlight, NeverServed, _ => 10);

        Assert.Equal("warm", Assert.Single(plan.Assignments).Server);
    }

    [Fact]
    public void Plan_IdleServer_BeatsABusyOneWithTheCheckpointLoaded()
    {
        var plan = FairScheduler.Plan([Job("alice", "sd_xl_base_1.0.safetensors")],
            [Server("warm", inFlight: 1, last: "sd_xl_base_1.0.safetensors"), Server("idle")], NoneInFlight, NeverServed, _ => 10);

        Assert.Equal("idle", Assert.Single(plan.Assignments).Server);
    }

    [Fact]
    public void Plan_NoWarmServer_PicksTheLeastBusy()
    {
        var plan = FairScheduler.Plan([Job("alice")], [Server("busy", inFlight: 1), Server("idle")], NoneInFlight, NeverServed, _ => 10);

        Assert.Equal("idle", Assert.Single(plan.Assignments).Server);
    }

    [Fact]
    public void Plan_ServersFull_AssignsNothingAndReportsNothing()
    {
        var plan = FairScheduler.Plan([Job("alice")], [Server("a", inFlight: 2, max: 2)], NoneInFlight, NeverServed, _ => 10);

        Assert.Empty(plan.Assignments);
        Assert.Empty(plan.Unrunnable);
    }

    [Fact]
    public void Plan_FillsEveryFreeSlotAcrossServers()
    {
        var waiting = Enumerable.Range(0, 20).Select(i => Job($"user{i % 4}")).ToList();

        var plan = FairScheduler.Plan(waiting, [Server("a"), Server("b"), Server("c", max: 1)], NoneInFlight, NeverServed, _ => 10);

        Assert.Equal(5, plan.Assignments.Count);
        Assert.Equal(2, plan.Assignments.Count(a => a.Server == "a"));
        Assert.Equal(1, plan.Assignments.Count(a => a.Server == "c"));
        Assert.Equal(4, plan.Assignments.Take(4).Select(a => a.Owner).Distinct().Count());
    }

    [Fact]
    public void Plan_FirstJobNeedsAFullServer_PersonsNextJobUsesAnother()
    {
        var sdxlOnly = WithCheckpoints("sd_xl_base_1.0.safetensors");
        var sd15Only = WithCheckpoints("v1-5-pruned-emaonly.safetensors");
        var waiting = new[] { Job("alice", "sd_xl_base_1.0.safetensors"), Job("alice", "v1-5-pruned-emaonly.safetensors", minute: 1) };

        var plan = FairScheduler.Plan(waiting, [Server("xl", inFlight: 1, max: 1, catalogue: sdxlOnly), Server("sd15", catalogue: sd15Only)], NoneInFlight, NeverServed, _ => 10);

        Assert.Equal("sd15", Assert.Single(plan.Assignments).Server);
    }

    [Fact]
    public void Order_UnevenLoads_InterleavesPeople()
    {
        var waiting = new[] { Job("alice"), Job("alice"), Job("alice"), Job("bob", minute: 1), Job("carol", minute: 2), Job("carol", minute: 2) };

        var order = FairScheduler.Order(waiting, NeverServed).Select(j => j.Owner);

        Assert.Equal(["alice", "bob", "carol", "alice", "carol", "alice"], order);
    }

    [Fact]
    public void Requirements_Txt2Img_NameTheCheckpointAndEveryNode()
    {
        var needs = Needs("sd_xl_base_1.0.safetensors");

        Assert.Contains(new ModelNeed("CheckpointLoaderSimple", "ckpt_name", "sd_xl_base_1.0.safetensors"), needs.Models);
        Assert.DoesNotContain(needs.Models, m => m.Input == "sampler_name");
        Assert.Contains("KSampler", needs.NodeTypes);
        Assert.Null(needs.MissingOn(Real));
    }

    private static ObjectInfo WithCheckpoints(params string[] names)
    {
        var json = File.ReadAllText(TestPaths.ObjectInfoJson);
        var root = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        root["CheckpointLoaderSimple"]!["input"]!["required"]!["ckpt_name"] = new System.Text.Json.Nodes.JsonArray(
            new System.Text.Json.Nodes.JsonArray(names.Select(n => (System.Text.Json.Nodes.JsonNode?)n).ToArray()));
        return CatalogueJson.Parse(root.ToJsonString());
    }
}
