using DreamLayer.Domain.Generation;

namespace DreamLayer.Web.Features.Txt2Img;

/// <summary>
/// Hands a request from one page to a generation page in the same browser tab (scoped: one per circuit): the
/// gallery's "reuse parameters" sets it and navigates; Txt2Img takes it once, instead of the last job's settings.
/// </summary>
public sealed class GenerationDraft
{
    private GenerationRequest? _pending;

    public void Set(GenerationRequest request) => _pending = request ?? throw new ArgumentNullException(nameof(request));

    /// <summary>The pending request, once; null when there is none.</summary>
    public GenerationRequest? Take()
    {
        var pending = _pending;
        _pending = null;
        return pending;
    }
}
