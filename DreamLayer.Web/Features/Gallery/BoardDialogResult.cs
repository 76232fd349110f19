namespace DreamLayer.Web.Features.Gallery;

public sealed record BoardDialogResult(string Name, bool Shared);
