namespace DreamLayer.Web.Features.Users;

/// <summary>What the jobs-at-once dialog returns: a person's own cap, or null for the team default.</summary>
public sealed record JobCapChoice(int? Cap);
