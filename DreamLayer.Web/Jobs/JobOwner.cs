namespace DreamLayer.Web.Jobs;

/// <summary>The owner of jobs queued from this app while it has no accounts.</summary>
public static class JobOwner
{
    public const string Local = "local";
}
