namespace DreamLayer.Web.Features.Workflows;

/// <summary>Who is using this circuit, as the library's permission checks see them.</summary>
public sealed class WorkflowActors
{
    /// <summary>Without accounts everyone is the one local user, who manages every workflow.</summary>
    public Task<WorkflowActor> GetAsync() => Task.FromResult(new WorkflowActor("local", "Local user", IsAdmin: true));
}
