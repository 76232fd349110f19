using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Models;
using DreamLayer.Domain.Scheduling;
using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Models;

/// <summary>
/// Who may use which model: a model an admin hid is refused for members whatever sent it (a form, an imported
/// workflow, reused parameters), decided on the server from the models the job's graph names.
/// </summary>
public sealed class ModelAccess(ModelSettings settings, IDbContextFactory<DreamLayerDbContext> dbFactory)
{
    /// <summary>
    /// One error per hidden model the job would use, on the form field that chose it; empty when the person may use
    /// them all (none is hidden, or the person is an admin).
    /// </summary>
    public async Task<IReadOnlyList<FieldError>> RefusalsAsync(GenerationRequest request, IEnumerable<ModelNeed> needs, string ownerId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(needs);
        var hidden = needs
            .Select(n => ModelKind.FolderOf(n.NodeType, n.Input) is { } folder ? new ModelKey(folder, n.Value) : (ModelKey?)null)
            .OfType<ModelKey>()
            .Where(k => settings.IsHidden(k.Folder, k.Name))
            .Distinct()
            .ToList();
        if (hidden.Count == 0 || await IsAdminAsync(ownerId, ct))
        {
            return [];
        }
        return [.. hidden.Select(k => new FieldError(FieldOf(request, k), $"The {ModelKind.Find(k.Folder)?.Singular ?? "model"} {k.Name} is not available: an admin has hidden it. Pick another one."))];
    }

    /// <summary>The form field that chose a model, so the refusal shows beside it.</summary>
    private static string FieldOf(GenerationRequest request, ModelKey key) => key.Folder switch
    {
        _ when request.Workflow is not null => nameof(GenerationRequest.Workflow),
        "checkpoints" => key.Name == request.Checkpoint ? nameof(GenerationRequest.Checkpoint) : nameof(GenerationRequest.Refiner),
        "loras" => nameof(GenerationRequest.Loras),
        "vae" => nameof(GenerationRequest.Vae),
        "controlnet" => nameof(GenerationRequest.ControlNets),
        _ => nameof(GenerationRequest.Checkpoint),
    };

    private async Task<bool> IsAdminAsync(string userId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.UserRoles.AnyAsync(r => r.UserId == userId && r.RoleId == RoleIds.Admin, ct);
    }
}
