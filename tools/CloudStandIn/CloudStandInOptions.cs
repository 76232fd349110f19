namespace CloudStandIn;

/// <summary>The three providers the stand-in speaks for. Their paths do not collide, so one port serves them all.</summary>
public enum CloudProvider
{
    /// <summary>OpenAI Images (<c>/v1/images/*</c>, <c>/v1/models</c>).</summary>
    OpenAi,

    /// <summary>Ideogram 3.0 (<c>/v1/ideogram-v3/*</c>, <c>/v2/account/api-keys</c>).</summary>
    Ideogram,

    /// <summary>Black Forest Labs FLUX (<c>/v1/flux-*</c>, <c>/v1/get_result</c>, <c>/v1/credits</c>).</summary>
    Bfl,
}

/// <summary>How a cloud stand-in is started.</summary>
public sealed class CloudStandInOptions
{
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>0 picks a free port.</summary>
    public int Port { get; set; } = 8190;

    /// <summary>When set, only this provider's routes answer; the others' paths are 404, as on another host.</summary>
    public CloudProvider? Only { get; set; }

    /// <summary>The key each provider accepts; any other key is refused as the provider refuses a bad key.</summary>
    public IDictionary<CloudProvider, string> Keys { get; } = new Dictionary<CloudProvider, string>
    {
        [CloudProvider.OpenAi] = "sk-standin-openai",
        [CloudProvider.Ideogram] = "standin-ideogram-key",
        [CloudProvider.Bfl] = "standin-bfl-key",
    };

    /// <summary>
    /// A second Ideogram key of the same organization, owned by a member who is not an organization admin: it
    /// generates like the admin's, but Ideogram's account endpoints (<c>GET /v2/account/api-keys</c>) answer it 404.
    /// </summary>
    public string IdeogramMemberKey { get; set; } = "standin-ideogram-member-key";

    /// <summary>
    /// How long a result URL stays valid. The defaults are what the providers document (OpenAI: 60 minutes; BFL:
    /// 10 minutes) or, where they say only "a limited period" (Ideogram), the shortest of the others.
    /// </summary>
    public IDictionary<CloudProvider, TimeSpan> UrlLifetime { get; } = new Dictionary<CloudProvider, TimeSpan>
    {
        [CloudProvider.OpenAi] = TimeSpan.FromMinutes(60),
        [CloudProvider.Ideogram] = TimeSpan.FromMinutes(10),
        [CloudProvider.Bfl] = TimeSpan.FromMinutes(10),
    };

    /// <summary>How many tasks a BFL key may have active (not yet ended) at once, 24 as BFL's limit is quoted; one more is a 429.</summary>
    public int BflActiveTaskLimit { get; set; } = 24;

    /// <summary>Polls a new BFL task answers <c>Pending</c> before it is <c>Ready</c> (a fault can change it per task).</summary>
    public int BflPendingPolls { get; set; } = 1;

    /// <summary>The credits a BFL account starts with (<c>GET /v1/credits</c>); each accepted task spends its cost.</summary>
    public double BflCredits { get; set; } = 10_000;

    /// <summary>Largest request body accepted (uploads for edits); more is refused before it is read.</summary>
    public long MaxRequestBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>The clock that signs and checks URL expiry; tests pass their own.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    public bool Serves(CloudProvider provider) => Only is null || Only == provider;
}
