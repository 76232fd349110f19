using System.Text.Json;
using DreamLayer.Domain.Comfy;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>A node catalogue from <c>/object_info</c> text, read as the app reads a server's answer.</summary>
public static class CatalogueJson
{
    public static ObjectInfo Parse(string json)
    {
        using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
        return ObjectInfo.Parse(doc.RootElement);
    }
}
