using DreamLayer.Web.Cloud.Bfl;
using DreamLayer.Web.Cloud.Ideogram;
using DreamLayer.Web.Cloud.OpenAi;

namespace DreamLayer.Web.Cloud;

/// <summary>Every provider's catalogue in one list, and the names people know the providers by.</summary>
public static class CloudCatalogs
{
    public static IReadOnlyList<CloudModel> All { get; } = [.. OpenAiCatalog.Models, .. IdeogramCatalog.Models, .. BflCatalog.Models];

    /// <summary>The provider's name as the model pickers show it ("FLUX: FLUX 1.1 [pro]").</summary>
    public static string ProviderName(CloudProviderId provider) => provider switch
    {
        CloudProviderId.OpenAi => "OpenAI",
        CloudProviderId.Ideogram => "Ideogram",
        CloudProviderId.Bfl => "FLUX",
        _ => provider.ToString(),
    };

    /// <summary>The model of <paramref name="provider"/> with API id <paramref name="id"/>, or null.</summary>
    public static CloudModel? Find(CloudProviderId provider, string id) => All.FirstOrDefault(m => m.Provider == provider && m.Id == id);
}
