using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using DreamLayer.Domain.Generation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DreamLayer.Web.Features.Api;

/// <summary>
/// The API's errors as RFC 7807 problem details: a title, a detail in words, and for bad input <c>errors</c>, an object
/// whose keys are the fields (as the body names them, e.g. <c>controlNets[0].strength</c>) and whose values are the
/// reasons.
/// </summary>
public static partial class ApiProblems
{
    public static ProblemHttpResult Invalid(string field, string reason) => Invalid([new KeyValuePair<string, string>(field, reason)]);

    public static ProblemHttpResult Invalid(IReadOnlyList<KeyValuePair<string, string>> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var byField = errors.GroupBy(e => e.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(e => e.Value).ToArray(), StringComparer.Ordinal);
        var detail = string.Join(" ", errors.Select(e => $"{e.Key}: {e.Value}"));
        return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid request", detail: detail,
            extensions: new Dictionary<string, object?> { ["errors"] = byField });
    }

    /// <summary>The validator's (or the queue's) refusals, each under the field's JSON name.</summary>
    public static ProblemHttpResult Invalid(IEnumerable<FieldError> errors) =>
        Invalid([.. errors.Select(e => new KeyValuePair<string, string>(ApiFieldNames.Of(e.Field), e.Message))]);

    public static ProblemHttpResult NotFound(string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: title, detail: detail);

    public static ProblemHttpResult TooLarge(long limit) =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large",
            detail: $"A request to this route may send at most {Size(limit)}.");

    /// <summary>A byte count as KiB, or MiB from one MiB up.</summary>
    public static string Size(long bytes) => bytes >= 1024 * 1024
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):0.#} MiB")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB");

    /// <summary>
    /// Why a body could not be read as <paramref name="root"/>, under the field it happened at: not JSON at all, a value
    /// of the wrong kind (said as the kind the field takes), a field the request does not have, or a required one missing.
    /// </summary>
    public static ProblemHttpResult Unreadable(JsonException exception, Type root)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(root);
        var field = FieldOf(exception.Path);
        var message = exception.Message;
        if (UnknownMember().Match(message) is { Success: true } unknown)
        {
            // The path already ends at the unknown property (an older runtime stopped at the object holding it).
            var name = unknown.Groups[1].Value;
            var at = field.Length == 0 ? name : field == name || field.EndsWith("." + name, StringComparison.Ordinal) ? field : $"{field}.{name}";
            return Invalid(at, "This field is not part of the request; check its spelling.");
        }
        if (MissingMembers().Match(message) is { Success: true } missing)
        {
            return Invalid(field.Length == 0 ? missing.Groups[1].Value : field, $"Required: {missing.Groups[1].Value}.");
        }
        if (message.Contains("could not be converted", StringComparison.Ordinal) || message.Contains("null", StringComparison.OrdinalIgnoreCase))
        {
            return Invalid(field.Length == 0 ? "body" : field, TypeOf(root, exception.Path) is { } type
                ? $"Expected {Describe(type)}."
                : "This value is of the wrong kind.");
        }
        var where = exception.LineNumber is { } line && exception.BytePositionInLine is { } column
            ? $" (line {line + 1}, character {column + 1})"
            : string.Empty;
        return Invalid("body", $"The body is not valid JSON{where}: {BeforePath(message)}");
    }

    /// <summary><c>$.controlNets[0].strength</c> → <c>controlNets[0].strength</c>.</summary>
    private static string FieldOf(string? path) => path is null or "$" ? string.Empty : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    private static string BeforePath(string message) => message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0].Trim();

    /// <summary>The type of the value at <paramref name="path"/> inside <paramref name="root"/> (properties by name in any case, list items by their element type).</summary>
    private static Type? TypeOf(Type root, string? path)
    {
        if (path is null)
        {
            return null;
        }
        var type = root;
        foreach (Match step in PathStep().Matches(path))
        {
            if (step.Groups["index"].Success)
            {
                type = ElementOf(type);
            }
            else if (type.GetProperty(step.Groups["name"].Value, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is { } property)
            {
                type = property.PropertyType;
            }
            else if (type.IsGenericType && type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>)) is { } dictionary)
            {
                type = dictionary.GetGenericArguments()[1];
            }
            else
            {
                return null;
            }
            if (type is null)
            {
                return null;
            }
        }
        return type;
    }

    private static Type? ElementOf(Type type) =>
        type.IsArray ? type.GetElementType()
        : typeof(IEnumerable).IsAssignableFrom(type) && type.IsGenericType ? type.GetGenericArguments()[^1]
        : null;

    private static string Describe(Type type)
    {
        var inner = Nullable.GetUnderlyingType(type) ?? type;
        return inner switch
        {
            _ when inner == typeof(int) || inner == typeof(long) => "a whole number",
            _ when inner == typeof(ulong) => "a whole number from 0 to 18446744073709551615",
            _ when inner == typeof(double) => "a number",
            _ when inner == typeof(bool) => "true or false",
            _ when inner == typeof(string) => "a string",
            _ when inner == typeof(Guid) => "an id (a GUID such as 0190f3a2-7c4e-7d1a-9b2e-3f4a5b6c7d8e)",
            { IsEnum: true } => "one of " + string.Join(", ", Enum.GetNames(inner)),
            _ when inner != typeof(string) && typeof(IEnumerable).IsAssignableFrom(inner) => "a list",
            _ => "an object",
        };
    }

    [GeneratedRegex(@"\.(?<name>[^.\[]+)|\[(?<index>\d+)\]|\['(?<name>[^']+)'\]")]
    private static partial Regex PathStep();

    [GeneratedRegex(@"The JSON property '([^']+)' could not be mapped")]
    private static partial Regex UnknownMember();

    [GeneratedRegex(@"missing required properties including: (.+?)\.?(?: Path:|$)")]
    private static partial Regex MissingMembers();
}
