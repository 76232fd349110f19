using System.Text.Json;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Generation;
namespace DreamLayer.Web.Data;

/// <summary>What reading a stored request gave: the request, or why it cannot be read.</summary>
public abstract record StoredRequestResult;

public sealed record StoredRequestRead(GenerationRequest Request) : StoredRequestResult;

public sealed record StoredRequestUnreadable(string Reason) : StoredRequestResult;

/// <summary>
/// The request a job was made from, as stored in <see cref="JobEntity.RequestJson"/>: the request's JSON with the
/// version of its format (<c>requestVersion</c>; rows written before versions have none and read as version 0, the
/// same shape). Reading never throws: a row that a later change of the request can no longer read (a renamed mode or
/// option, a value of the wrong kind, a newer format) gives the reason in words, so that one bad row fails its own job,
/// and a page falls back to its defaults, instead of stopping start-up.
/// </summary>
public static class StoredRequest
{
    /// <summary>The format written now. Raise it when a change makes old rows mean something else, and read the old ones here.</summary>
    public const int CurrentVersion = 1;

    public const string VersionProperty = "requestVersion";

    /// <summary>How a request is written to and read from JSON (the web defaults: camelCase names).</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    public static string Write(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var json = JsonSerializer.SerializeToNode(request, Json)!.AsObject();
        json.Insert(0, VersionProperty, CurrentVersion);
        return json.ToJsonString(Json);
    }

    public static StoredRequestResult Read(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return new StoredRequestUnreadable("The job's settings were not stored.");
        }
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return new StoredRequestUnreadable("The job's stored settings are damaged: they are not a JSON object.");
            }
            if (document.RootElement.TryGetProperty(VersionProperty, out var version)
                && (!version.TryGetInt32(out var number) || number > CurrentVersion))
            {
                return new StoredRequestUnreadable(
                    $"The job's settings were stored by a newer version of DreamLayer (format {version.GetRawText()}; this one reads up to {CurrentVersion}).");
            }
            return document.RootElement.Deserialize<GenerationRequest>(Json) is { } request
                ? new StoredRequestRead(request)
                : new StoredRequestUnreadable("The job's stored settings are empty.");
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException or FormatException)
        {
            return new StoredRequestUnreadable($"The job's stored settings can no longer be read: {ex.Message}");
        }
    }

    /// <summary>
    /// The request the job was made from (<see cref="JobEntity.RequestJson"/>); throws <see cref="InvalidDataException"/>
    /// with the reason when the row cannot be read (<see cref="Read"/> tells without throwing).
    /// </summary>
    public static GenerationRequest ReadRequest(this JobEntity job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return Read(job.RequestJson) switch
        {
            StoredRequestRead read => read.Request,
            StoredRequestUnreadable unreadable => throw new InvalidDataException(unreadable.Reason),
            _ => throw new InvalidOperationException(),
        };
    }
}
