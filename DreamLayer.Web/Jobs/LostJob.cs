namespace DreamLayer.Web.Jobs;

/// <summary>A job its server lost (neither in its queue nor in its history: it restarted), no longer tracked, and why.</summary>
public sealed record LostJob(TrackedJob Job, string Reason);
