using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Workflows.Imported;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Features.Workflows;

/// <summary>A workflow of the library as pages use it.</summary>
public sealed record SavedWorkflow(Guid Id, string Owner, string OwnerName, string Name, string Description, ComfyGraph Graph,
    IReadOnlyList<WorkflowBinding> Bindings, DateTime CreatedAt, DateTime UpdatedAt)
{
    public SavedWorkflowRef Ref => new(Id, Name, Graph, Bindings);
}

public abstract record WorkflowChange;

public sealed record WorkflowSaved(Guid Id) : WorkflowChange;

public sealed record WorkflowRefused(string Message) : WorkflowChange;

/// <summary>
/// The team's library of imported workflows. Everyone reads it; only the owner of a workflow or an admin may
/// change or delete it, checked here on the server whatever the page shows.
/// </summary>
public sealed class TeamWorkflows(IDbContextFactory<DreamLayerDbContext> dbFactory, TimeProvider time)
{
    public const string NotAllowed = "Only the person who saved this workflow or an admin can change it.";

    public async Task<IReadOnlyList<SavedWorkflow>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Workflows.AsNoTracking().OrderBy(w => w.Name).ToListAsync(ct);
        return rows.ConvertAll(ToModel);
    }

    public async Task<SavedWorkflow?> FindAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Workflows.AsNoTracking().FirstOrDefaultAsync(w => w.Id == id, ct) is { } row ? ToModel(row) : null;
    }

    public async Task<WorkflowChange> CreateAsync(SignedInUser actor, string name, string description, ComfyGraph graph, IReadOnlyList<WorkflowBinding> bindings, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(graph);
        if (Check(name, description, graph, bindings) is { } problem)
        {
            return new WorkflowRefused(problem);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var row = new SavedWorkflowEntity
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            Owner = actor.Id,
            OwnerName = actor.DisplayName,
            Name = name.Trim(),
            Description = description.Trim(),
            GraphJson = graph.ToJsonString(),
            BindingsJson = WorkflowBinding.Serialize(bindings),
            CreatedAt = now,
            UpdatedAt = now,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Workflows.Add(row);
        await db.SaveChangesAsync(ct);
        return new WorkflowSaved(row.Id);
    }

    /// <summary>Changes the name, description and fields of a saved workflow (its graph stays as imported).</summary>
    public async Task<WorkflowChange> UpdateAsync(SignedInUser actor, Guid id, string name, string description, IReadOnlyList<WorkflowBinding> bindings, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (row, refused) = await FindManagedAsync(db, actor, id, ct);
        if (row is null)
        {
            return refused!;
        }
        if (Check(name, description, ComfyGraph.Parse(row.GraphJson), bindings) is { } problem)
        {
            return new WorkflowRefused(problem);
        }
        row.Name = name.Trim();
        row.Description = description.Trim();
        row.BindingsJson = WorkflowBinding.Serialize(bindings);
        row.UpdatedAt = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return new WorkflowSaved(row.Id);
    }

    public async Task<WorkflowChange> DeleteAsync(SignedInUser actor, Guid id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (row, refused) = await FindManagedAsync(db, actor, id, ct);
        if (row is null)
        {
            return refused!;
        }
        db.Workflows.Remove(row);
        await db.SaveChangesAsync(ct);
        return new WorkflowSaved(row.Id);
    }

    /// <summary>The row, tracked for changes, when it exists and <paramref name="actor"/> may change it; else why not.</summary>
    private static async Task<(SavedWorkflowEntity? Row, WorkflowRefused? Refused)> FindManagedAsync(DreamLayerDbContext db, SignedInUser actor, Guid id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (await db.Workflows.FirstOrDefaultAsync(w => w.Id == id, ct) is not { } row)
        {
            return (null, new WorkflowRefused("That workflow is no longer in the library."));
        }
        return actor.CanManage(row.Owner) ? (row, null) : (null, new WorkflowRefused(NotAllowed));
    }

    private static string? Check(string name, string description, ComfyGraph graph, IReadOnlyList<WorkflowBinding> bindings)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "Give the workflow a name.";
        }
        if (name.Trim().Length > SavedWorkflowEntity.MaxNameLength)
        {
            return $"The name is longer than {SavedWorkflowEntity.MaxNameLength} characters.";
        }
        if (description.Trim().Length > SavedWorkflowEntity.MaxDescriptionLength)
        {
            return $"The description is longer than {SavedWorkflowEntity.MaxDescriptionLength} characters.";
        }
        foreach (var binding in bindings)
        {
            if (string.IsNullOrWhiteSpace(binding.Label))
            {
                return $"The field for {WorkflowImporter.Describe(graph, binding.Node)} › {binding.Input} needs a label.";
            }
            if (!graph.TryGetNode(binding.Node, out var node) || !node.Inputs.TryGetValue(binding.Input, out var value) || ComfyLink.TryParse(value, out _))
            {
                return $"The field '{binding.Label}' points at {WorkflowImporter.Describe(graph, binding.Node)} › {binding.Input}, which is not a value in this workflow.";
            }
        }
        return bindings.GroupBy(b => b.Key).FirstOrDefault(g => g.Count() > 1) is { } twice
            ? $"Two fields set {WorkflowImporter.Describe(graph, twice.First().Node)} › {twice.First().Input}; keep one."
            : null;
    }

    private static SavedWorkflow ToModel(SavedWorkflowEntity row) => new(row.Id, row.Owner, row.OwnerName, row.Name, row.Description,
        ComfyGraph.Parse(row.GraphJson), WorkflowBinding.Deserialize(row.BindingsJson), row.CreatedAt, row.UpdatedAt);
}
