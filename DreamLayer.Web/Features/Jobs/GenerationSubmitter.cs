using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Jobs;
using MudBlazor;

namespace DreamLayer.Web.Features.Jobs;

/// <summary>Queues generation requests for the signed-in person and says so, the same way on every generation page (one per circuit).</summary>
public sealed class GenerationSubmitter(JobQueue queue, CurrentUser currentUser, ISnackbar snackbar)
{
    /// <summary>
    /// Queues the requests in order (one, or one per batch prompt); returns the queue's field errors when it refused
    /// one (none when all were queued). Requests before a refused one stay queued, and the message says so.
    /// </summary>
    public async Task<IReadOnlyList<FieldError>> SubmitAsync(IReadOnlyList<GenerationRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var user = await currentUser.GetAsync();
        var seeds = new List<ulong>();
        foreach (var request in requests)
        {
            switch (await queue.SubmitAsync(request, user.Id, CancellationToken.None))
            {
                case SubmitAccepted accepted:
                    seeds.AddRange(accepted.Seeds);
                    break;
                case SubmitInvalid invalid:
                    snackbar.Add(seeds.Count > 0 ? $"Queued {seeds.Count} jobs, then stopped at a prompt the server refused." : "Nothing was queued.", Severity.Warning);
                    return invalid.Errors;
                case var other:
                    throw new InvalidOperationException($"Unexpected submit result {other.GetType().Name}.");
            }
        }
        snackbar.Add(seeds.Count == 1 ? $"Queued (seed {seeds[0]})." : $"Queued {seeds.Count} jobs.", Severity.Success);
        return [];
    }
}
