using DreamLayer.Web.Cloud.Bfl;
using DreamLayer.Web.Cloud.Ideogram;
using DreamLayer.Web.Cloud.OpenAi;

namespace DreamLayer.Web.Cloud;

/// <summary>Every provider's models in one list, and each provider's name as people know it: what the queue and the forms read.</summary>
public static class CloudCatalog
{
    public static IReadOnlyList<CloudProviderId> Providers { get; } = Enum.GetValues<CloudProviderId>();

    /// <summary>Every provider's models, provider by provider.</summary>
    public static IReadOnlyList<CloudModel> All { get; } = [.. OpenAiCatalog.Models, .. IdeogramCatalog.Models, .. BflCatalog.Models];

    /// <summary>The provider's name as people know it (the backend's name in the queue and on the Backends page).</summary>
    public static string NameOf(CloudProviderId provider) => provider switch
    {
        CloudProviderId.OpenAi => OpenAiImageProvider.DisplayName,
        CloudProviderId.Ideogram => IdeogramImageProvider.DisplayName,
        CloudProviderId.Bfl => BflImageProvider.DisplayName,
        _ => provider.ToString(),
    };

    public static IReadOnlyList<CloudModel> ModelsOf(CloudProviderId provider) => provider switch
    {
        CloudProviderId.OpenAi => OpenAiCatalog.Models,
        CloudProviderId.Ideogram => IdeogramCatalog.Models,
        CloudProviderId.Bfl => BflCatalog.Models,
        _ => [],
    };

    /// <summary>The provider named by its id as stored (<c>OpenAi</c>, <c>Ideogram</c>, <c>Bfl</c>); false for any other text.</summary>
    public static bool TryParse(string? text, out CloudProviderId provider) =>
        Enum.TryParse(text, ignoreCase: false, out provider) && Enum.IsDefined(provider) && !int.TryParse(text, out _);

    public static CloudModel? Find(CloudProviderId provider, string model) => ModelsOf(provider).FirstOrDefault(m => m.Id == model);

    /// <summary>
    /// False for a cloud model that takes no seed (OpenAI's): the seed the queue draws for every job means nothing for
    /// it, so the card and the confirmation leave it out. True for any other model id, local checkpoints included.
    /// </summary>
    public static bool HasMeaningfulSeed(string model) => !All.Any(m => m.Id == model && m.Seeds is null);
}

/// <summary>Where a cloud call is, for whoever follows it (the job card says "downloading").</summary>
public enum CloudStage
{
    /// <summary>The pictures are ready at the provider and being fetched from their addresses.</summary>
    Downloading,
}

/// <summary>
/// Tells the caller of a cloud call which stage it reached, without a parameter on every method: <see cref="Watch"/>
/// sets a listener for the calls made from the current async flow (the queue's one job), the clients report to it.
/// </summary>
public static class CloudStages
{
    private static readonly AsyncLocal<Action<CloudStage>?> Listener = new();

    /// <summary>Listens to the stages of the cloud calls made from here on in this flow, until disposed.</summary>
    public static IDisposable Watch(Action<CloudStage> listener)
    {
        var previous = Listener.Value;
        Listener.Value = listener;
        return new Restore(previous);
    }

    internal static void Report(CloudStage stage) => Listener.Value?.Invoke(stage);

    private sealed class Restore(Action<CloudStage>? previous) : IDisposable
    {
        public void Dispose() => Listener.Value = previous;
    }
}
