using DreamLayer.Domain.Generation;

namespace DreamLayer.Web.Components.Shared;

/// <summary>A pre-filled form waiting for a generation page: the request, where it came from, and what did not carry over.</summary>
public sealed record GenerationDraft(GenerationRequest Request, string Source, IReadOnlyList<string> Notes);

/// <summary>
/// Hands a pre-filled form from one page to a generation page within the same browser tab (circuit). The sender
/// calls <see cref="Offer"/> with the target mode and then navigates to that mode's page; the page calls
/// <see cref="Take"/> once when it initialises and, when it gets a draft, fills its form from
/// <see cref="GenerationDraft.Request"/> instead of the last job, and shows the source and notes. A draft is taken
/// once, a newer offer for the same mode replaces an older one, and nothing leaves the circuit (registered scoped),
/// so two tabs or two people never see each other's drafts. Used by PNG Info's "Send to Txt2Img" and the image
/// dialog's "reuse parameters" (Txt2Img, Img2Img and Inpaint take their own mode's draft).
/// </summary>
public sealed class GenerationDrafts
{
    private readonly Dictionary<GenerationMode, GenerationDraft> _drafts = [];

    public void Offer(GenerationMode target, GenerationDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        _drafts[target] = draft;
    }

    /// <summary>The draft waiting for <paramref name="target"/>, removed so that it fills the form only once; or null.</summary>
    public GenerationDraft? Take(GenerationMode target) => _drafts.Remove(target, out var draft) ? draft : null;
}
