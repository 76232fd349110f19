using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Comfy;

/// <summary>All configured ComfyUI servers and a typed client for each.</summary>
public sealed class BackendPool
{
    public const string HttpClientName = "ComfyUI";

    private readonly IHttpClientFactory _httpClientFactory;

    public BackendPool(IOptions<ComfyUiOptions> options, IHttpClientFactory httpClientFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        _httpClientFactory = httpClientFactory;
        Backends = options.Value.Servers
            .Select(s => new ComfyBackend(s.Name, new Uri(s.Url.EndsWith('/') ? s.Url : s.Url + "/")))
            .ToList();
    }

    public IReadOnlyList<ComfyBackend> Backends { get; }

    /// <summary>The server that generation pages read their lists from: the first online one, else the first.</summary>
    public ComfyBackend Primary => Backends.FirstOrDefault(b => b.IsOnline) ?? Backends[0];

    public ComfyBackend? Find(string? name) => Backends.FirstOrDefault(b => b.Name == name);

    public ComfyUiClient ClientFor(ComfyBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return new ComfyUiClient(_httpClientFactory.CreateClient(HttpClientName), backend.BaseAddress);
    }

    /// <summary>Raised when any backend changes state or catalogue.</summary>
    public IDisposable Subscribe(Action<ComfyBackend> onChanged)
    {
        foreach (var b in Backends)
        {
            b.Changed += onChanged;
        }
        return new Unsubscriber(() =>
        {
            foreach (var b in Backends)
            {
                b.Changed -= onChanged;
            }
        });
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;

        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
