namespace DreamLayer.Web.Features.Workflows;

public static class WorkflowsExtensions
{
    /// <summary>The team's library of imported ComfyUI workflows.</summary>
    public static IHostApplicationBuilder AddWorkflows(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TeamWorkflows>();
        builder.Services.AddSingleton<WorkflowRunChecks>();
        return builder;
    }
}
