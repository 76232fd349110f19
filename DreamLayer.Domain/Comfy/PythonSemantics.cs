using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DreamLayer.Domain.Comfy;

/// <summary>
/// A Python number as the server sees a JSON literal: integers are exact (any size), anything with a fraction or
/// exponent is a double. Comparisons between the two are exact, as in Python.
/// </summary>
internal readonly partial struct PyNumber : IComparable<PyNumber>
{
    private readonly BigInteger _int;
    private readonly double _float;

    private PyNumber(BigInteger value)
    {
        _int = value;
        IsInt = true;
    }

    private PyNumber(double value) => _float = value;

    public bool IsInt { get; }

    /// <summary>NaN compares false with everything, so neither a min nor a max check can fail it.</summary>
    public bool IsNaN => !IsInt && double.IsNaN(_float);

    public static PyNumber? FromJson(JsonNode? node)
    {
        if (node is not JsonValue v)
        {
            return null;
        }
        return v.GetValueKind() switch
        {
            JsonValueKind.True => new PyNumber(BigInteger.One),
            JsonValueKind.False => new PyNumber(BigInteger.Zero),
            JsonValueKind.Number when PyFormat.IsFloatLiteral(v) => new PyNumber(double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)),
            JsonValueKind.Number => new PyNumber(BigInteger.Parse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)),
            _ => null,
        };
    }

    /// <summary>Python's <c>int(v)</c>: truncates floats, parses integer strings, fails on anything else.</summary>
    public static (PyNumber? Value, string? Error) ToInt(JsonNode? node)
    {
        if (FromJson(node) is { } n)
        {
            if (n.IsInt)
            {
                return (n, null);
            }
            if (double.IsInfinity(n._float))
            {
                return (null, "cannot convert float infinity to integer");
            }
            return double.IsNaN(n._float) ? (null, "cannot convert float NaN to integer") : (new PyNumber(new BigInteger(Math.Truncate(n._float))), null);
        }
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            var s = v.GetValue<string>();
            var t = s.Trim();
            if (IntLiteral().IsMatch(t))
            {
                return (new PyNumber(BigInteger.Parse(t.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)), null);
            }
            return (null, $"invalid literal for int() with base 10: {PyFormat.Repr(s)}");
        }
        return (null, $"int() argument must be a string, a bytes-like object or a real number, not '{PyFormat.TypeName(node)}'");
    }

    /// <summary>Python's <c>float(v)</c>.</summary>
    public static (PyNumber? Value, string? Error) ToFloat(JsonNode? node)
    {
        if (FromJson(node) is { } n)
        {
            return (new PyNumber(n.IsInt ? (double)n._int : n._float), null);
        }
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            var s = v.GetValue<string>();
            var t = s.Trim();
            if (FloatLiteral().IsMatch(t))
            {
                var lower = t.ToUpperInvariant().Replace("_", string.Empty, StringComparison.Ordinal);
                var sign = lower.StartsWith('-') ? -1.0 : 1.0;
                var body = lower.TrimStart('+', '-');
                double d = body switch
                {
                    "INF" or "INFINITY" => sign * double.PositiveInfinity,
                    "NAN" => double.NaN,
                    _ => double.Parse(lower, NumberStyles.Float, CultureInfo.InvariantCulture),
                };
                return (new PyNumber(d), null);
            }
            return (null, $"could not convert string to float: {PyFormat.Repr(s)}");
        }
        return (null, $"float() argument must be a string or a real number, not '{PyFormat.TypeName(node)}'");
    }

    public int CompareTo(PyNumber other)
    {
        if (IsInt && other.IsInt)
        {
            return _int.CompareTo(other._int);
        }
        if (!IsInt && !other.IsInt)
        {
            return _float.CompareTo(other._float);
        }
        return IsInt ? CompareIntFloat(_int, other._float) : -CompareIntFloat(other._int, _float);
    }

    /// <summary>True when the values are equal in Python's sense (NaN is never equal).</summary>
    public bool NumericEquals(PyNumber other) =>
        (IsInt || !double.IsNaN(_float)) && (other.IsInt || !double.IsNaN(other._float)) && CompareTo(other) == 0;

    private static int CompareIntFloat(BigInteger i, double d)
    {
        if (double.IsNaN(d))
        {
            return 1; // every comparison with NaN is false; callers only test < and >, so report neither strictly
        }
        if (double.IsPositiveInfinity(d))
        {
            return -1;
        }
        if (double.IsNegativeInfinity(d))
        {
            return 1;
        }
        var floor = Math.Floor(d);
        var b = new BigInteger(floor);
        if (i < b)
        {
            return -1;
        }
        if (i > b)
        {
            return 1;
        }
        return floor == d ? 0 : -1;
    }

    public override string ToString() => IsInt ? _int.ToString(CultureInfo.InvariantCulture) : PyFormat.FloatRepr(_float);

    public override bool Equals(object? obj) => obj is PyNumber n && NumericEquals(n);

    public override int GetHashCode() => IsInt ? _int.GetHashCode() : _float.GetHashCode();

    public static bool operator ==(PyNumber left, PyNumber right) => left.Equals(right);

    public static bool operator !=(PyNumber left, PyNumber right) => !left.Equals(right);

    public static bool operator <(PyNumber left, PyNumber right) => left.CompareTo(right) < 0;

    public static bool operator <=(PyNumber left, PyNumber right) => left.CompareTo(right) <= 0;

    public static bool operator >(PyNumber left, PyNumber right) => left.CompareTo(right) > 0;

    public static bool operator >=(PyNumber left, PyNumber right) => left.CompareTo(right) >= 0;

    [GeneratedRegex(@"^[+-]?[0-9](_?[0-9])*$")]
    private static partial Regex IntLiteral();

    [GeneratedRegex(@"^[+-]?((([0-9](_?[0-9])*)(\.([0-9](_?[0-9])*)?)?|\.[0-9](_?[0-9])*)([eE][+-]?[0-9](_?[0-9])*)?|inf|infinity|nan)$", RegexOptions.IgnoreCase)]
    private static partial Regex FloatLiteral();
}

/// <summary>Formats JSON values the way Python's <c>str()</c> and <c>repr()</c> print them in server messages.</summary>
internal static class PyFormat
{
    public static bool IsFloatLiteral(JsonValue v)
    {
        var text = v.ToJsonString();
        return text.Contains('.', StringComparison.Ordinal) || text.Contains('e', StringComparison.OrdinalIgnoreCase);
    }

    public static string TypeName(JsonNode? node) => node switch
    {
        null => "NoneType",
        JsonArray => "list",
        JsonObject => "dict",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "str",
            JsonValueKind.True or JsonValueKind.False => "bool",
            JsonValueKind.Number => IsFloatLiteral(v) ? "float" : "int",
            _ => "NoneType",
        },
        _ => "object",
    };

    /// <summary>Python <c>str(value)</c>.</summary>
    public static string Str(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : Repr(node);

    /// <summary>Python <c>repr(value)</c>.</summary>
    public static string Repr(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return "None";
            case JsonArray a:
                return "[" + string.Join(", ", a.Select(Repr)) + "]";
            case JsonObject o:
                return "{" + string.Join(", ", o.Select(p => StringRepr(p.Key) + ": " + Repr(p.Value))) + "}";
            case JsonValue v:
                return v.GetValueKind() switch
                {
                    JsonValueKind.String => StringRepr(v.GetValue<string>()),
                    JsonValueKind.True => "True",
                    JsonValueKind.False => "False",
                    JsonValueKind.Number => PyNumber.FromJson(v)!.Value.ToString(),
                    _ => "None",
                };
            default:
                return node.ToJsonString();
        }
    }

    public static string Repr(string s) => StringRepr(s);

    /// <summary>The declared input type as the server prints it: the type name, or the list of a classic combo.</summary>
    public static string TypeText(InputSpec spec) =>
        spec.Kind == InputKind.ListCombo && spec.Raw is JsonArray { Count: > 0 } raw ? Repr(raw[0]) : spec.Type;

    public static bool PyEquals(JsonNode? a, JsonNode? b)
    {
        if (a is JsonValue va && b is JsonValue vb
            && va.GetValueKind() == JsonValueKind.String && vb.GetValueKind() == JsonValueKind.String)
        {
            return string.Equals(va.GetValue<string>(), vb.GetValue<string>(), StringComparison.Ordinal);
        }
        if (PyNumber.FromJson(a) is { } na && PyNumber.FromJson(b) is { } nb)
        {
            return na.NumericEquals(nb);
        }
        return a is null && b is null;
    }

    private static string StringRepr(string s)
    {
        var quote = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        var sb = new StringBuilder(s.Length + 2).Append(quote);
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c == quote)
                    {
                        sb.Append('\\').Append(c);
                    }
                    else if (c < ' ' || c == '\x7f')
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        return sb.Append(quote).ToString();
    }

    /// <summary>Python's <c>repr(float)</c>: shortest round-trip digits, fixed notation for 1e-4 ≤ |x| &lt; 1e16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d))
        {
            return "nan";
        }
        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0)
        {
            return double.IsNegative(d) ? "-0.0" : "0.0";
        }
        var shortest = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        // Digits and exponent from the shortest round-trip form.
        string digits;
        int exponent;
        var ePos = shortest.IndexOf('E', StringComparison.Ordinal);
        if (ePos >= 0)
        {
            var mant = shortest[..ePos];
            exponent = int.Parse(shortest[(ePos + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            var dot = mant.IndexOf('.', StringComparison.Ordinal);
            digits = mant.Replace(".", string.Empty, StringComparison.Ordinal);
            exponent += (dot < 0 ? mant.Length : dot) - 1;
        }
        else
        {
            var dot = shortest.IndexOf('.', StringComparison.Ordinal);
            var intLen = dot < 0 ? shortest.Length : dot;
            var all = shortest.Replace(".", string.Empty, StringComparison.Ordinal);
            var lead = all.Length - all.TrimStart('0').Length;
            digits = all.TrimStart('0');
            exponent = intLen - 1 - lead;
        }
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }
        string text;
        if (exponent is >= -4 and < 16)
        {
            if (exponent >= 0)
            {
                var intPart = digits.Length > exponent + 1 ? digits[..(exponent + 1)] : digits.PadRight(exponent + 1, '0');
                var frac = digits.Length > exponent + 1 ? digits[(exponent + 1)..] : "0";
                text = intPart + "." + frac;
            }
            else
            {
                text = "0." + new string('0', -exponent - 1) + digits;
            }
        }
        else
        {
            var mant = digits.Length > 1 ? digits[0] + "." + digits[1..] : digits;
            text = mant + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        }
        return d < 0 ? "-" + text : text;
    }
}
