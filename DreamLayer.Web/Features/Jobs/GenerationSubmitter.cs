using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Features.Generation;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Models;
using MudBlazor;

namespace DreamLayer.Web.Features.Jobs;

/// <summary>Queues generation requests for the signed-in person and says so, the same way on every generation page (one per circuit).</summary>
public sealed class GenerationSubmitter(JobQueue queue, CurrentUser currentUser, ISnackbar snackbar, BackendPool pool, ModelSettings models, ModelFallback fallback)
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
                case SubmitInvalid invalid when seeds.Count == 0 && requests.Count == 1 && await OfferReplacementAsync(request, invalid.Errors, user):
                    return invalid.Errors;
                case SubmitInvalid invalid:
                    snackbar.Add(seeds.Count > 0 ? $"Queued {seeds.Count} jobs, then stopped at a prompt the server refused." : "Nothing was queued.", Severity.Warning);
                    return invalid.Errors;
                case var other:
                    throw new InvalidOperationException($"Unexpected submit result {other.GetType().Name}.");
            }
        }
        var seedless = requests[0].Cloud is { } cloud && !CloudCatalog.HasMeaningfulSeed(cloud.Model);
        snackbar.Add(seeds.Count != 1 ? $"Queued {seeds.Count} jobs." : seedless ? "Queued." : $"Queued (seed {seeds[0]}).", Severity.Success);
        return [];
    }

    /// <summary>
    /// A request refused for a checkpoint no server has (Retry of an old job, a form whose server lost the model
    /// meanwhile): says so and offers the replacement, one click to queue the same request with it. False when the
    /// refusal is about something else or there is nothing to offer.
    /// </summary>
    private async Task<bool> OfferReplacementAsync(GenerationRequest request, IReadOnlyList<FieldError> errors, SignedInUser user)
    {
        if (!errors.Any(e => e.Field == nameof(GenerationRequest.Checkpoint))
            || ModelChoices.For(pool.Limits, models, user.IsAdmin) is not { } limits
            || await fallback.OfferAsync(request.Checkpoint, limits.Checkpoints) is not { Replacement: { } replacement } offer)
        {
            return false;
        }
        snackbar.Add($"Nothing was queued: {offer.Message}", Severity.Warning, config =>
        {
            config.RequireInteraction = true;
            config.Action = $"Use {offer.ReplacementTitle} instead";
            config.ActionColor = Color.Primary;
            config.OnClick = async _ => await SubmitAsync([request with { Checkpoint = replacement }]);
        });
        return true;
    }
}
