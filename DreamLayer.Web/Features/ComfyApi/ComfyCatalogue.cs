using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Web.Comfy;

namespace DreamLayer.Web.Features.ComfyApi;

/// <summary>
/// The catalogue the face shows and validates against: the union of the online servers' <c>/object_info</c>
/// (<see cref="ObjectInfoUnion"/>), made again only when a server's catalogue or the set of online servers changed.
/// </summary>
internal sealed class ComfyCatalogue(BackendPool pool)
{
    private readonly Lock _lock = new();
    private (ObjectInfo[] Sources, ObjectInfo Info, JsonObject Json)? _last;

    /// <summary>The joined catalogue of the online servers (empty while none is online), parsed and as JSON.</summary>
    public (ObjectInfo Info, JsonObject Json) Current()
    {
        var sources = pool.Backends.Where(b => b.IsOnline).Select(b => b.ObjectInfo).ToArray();
        lock (_lock)
        {
            if (_last is { } last && last.Sources.SequenceEqual(sources, ReferenceEqualityComparer.Instance))
            {
                return (last.Info, last.Json);
            }
            var json = ObjectInfoUnion.Json(sources);
            var info = ObjectInfoUnion.Parse(json);
            _last = (sources, info, json);
            return (info, json);
        }
    }
}
