using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComfyStandIn;

/// <summary>An error raised the way a Python exception would be, with its class name and <c>str()</c>.</summary>
internal sealed class PyException(string pyType, string message) : Exception(message)
{
    public string PyType { get; } = pyType;

    public static PyException KeyError(JsonNode? key) => new("KeyError", Py.Repr(key));
}

/// <summary>Python-flavoured formatting and coercion, so messages read like ComfyUI's.</summary>
internal static class Py
{
    /// <summary>JSON as sent on the wire: quotes and apostrophes left readable, like Python's json.dumps.</summary>
    public static readonly JsonSerializerOptions Wire = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Float(double d)
    {
        if (double.IsNaN(d)) { return "nan"; }
        if (double.IsInfinity(d)) { return d > 0 ? "inf" : "-inf"; }
        if (d == Math.Floor(d) && Math.Abs(d) < 1e16) { return d.ToString("0", CultureInfo.InvariantCulture) + ".0"; }
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Replace("E+", "e+", StringComparison.Ordinal).Replace("E-", "e-", StringComparison.Ordinal);
    }

    /// <summary>
    /// Like Python's <c>json.dumps</c> with its defaults (what SaveImage writes into PNG text chunks): <c>", "</c> and
    /// <c>": "</c> separators, every non-ASCII character escaped, floats as Python prints them.
    /// </summary>
    public static string Dumps(JsonNode? node)
    {
        var sb = new StringBuilder();
        Dump(node, sb);
        return sb.ToString();
    }

    private static void Dump(JsonNode? node, StringBuilder sb)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject o:
                sb.Append('{');
                var first = true;
                foreach (var (key, value) in o)
                {
                    if (!first) { sb.Append(", "); }
                    first = false;
                    DumpString(key, sb);
                    sb.Append(": ");
                    Dump(value, sb);
                }
                sb.Append('}');
                break;
            case JsonArray a:
                sb.Append('[');
                for (var i = 0; i < a.Count; i++)
                {
                    if (i > 0) { sb.Append(", "); }
                    Dump(a[i], sb);
                }
                sb.Append(']');
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                DumpString(v.GetValue<string>(), sb);
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                var raw = v.ToJsonString();
                sb.Append(IsIntegerLiteral(raw) ? BigInteger.Parse(raw, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture) : JsonFloat(double.Parse(raw, CultureInfo.InvariantCulture)));
                break;
            default:
                sb.Append(node.ToJsonString());
                break;
        }
    }

    private static string JsonFloat(double d) =>
        double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : Float(d);

    private static void DumpString(string s, StringBuilder sb)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < ' ' || c > '~')
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>A JSON number node whose text is exactly <paramref name="raw"/>.</summary>
    public static JsonNode RawNumber(string raw) => JsonNode.Parse(raw)!;

    public static string StrQuote(string s) =>
        s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal)
            ? "\"" + s + "\""
            : "'" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    /// <summary>Like Python's <c>repr()</c> of the decoded JSON value.</summary>
    public static string Repr(JsonNode? node) => node switch
    {
        null => "None",
        JsonArray a => "[" + string.Join(", ", a.Select(Repr)) + "]",
        JsonObject o => "{" + string.Join(", ", o.Select(p => StrQuote(p.Key) + ": " + Repr(p.Value))) + "}",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => StrQuote(v.GetValue<string>()),
        _ => Str(node),
    };

    /// <summary>Like Python's <c>str()</c>.</summary>
    public static string Str(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.True => "True",
        JsonValue v when v.GetValueKind() == JsonValueKind.False => "False",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => NumberText(v),
        _ => Repr(node),
    };

    private static string NumberText(JsonValue v)
    {
        var raw = v.ToJsonString();
        if (IsIntegerLiteral(raw)) { return raw; }
        return Float(double.Parse(raw, CultureInfo.InvariantCulture));
    }

    public static bool IsIntegerLiteral(string raw) =>
        raw.Length > 0 && raw.AsSpan(raw[0] == '-' ? 1 : 0).IndexOfAnyExcept(Digits) < 0;

    private static readonly System.Buffers.SearchValues<char> Digits = System.Buffers.SearchValues.Create("0123456789");

    public static string TypeName(JsonNode? node) => node switch
    {
        null => "NoneType",
        JsonArray => "list",
        JsonObject => "dict",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "str",
            JsonValueKind.True or JsonValueKind.False => "bool",
            _ => IsIntegerLiteral(node.ToJsonString()) ? "int" : "float",
        },
    };

    /// <summary>A number as ComfyUI compares it: exact for integers, double otherwise.</summary>
    public readonly record struct Num(BigInteger? Integer, double Real)
    {
        public static Num Of(BigInteger i) => new(i, (double)i);

        public static Num Of(double d) => new(null, d);

        public static Num? FromJson(JsonNode? node)
        {
            if (node is not JsonValue v) { return null; }
            switch (v.GetValueKind())
            {
                case JsonValueKind.True: return Of(BigInteger.One);
                case JsonValueKind.False: return Of(BigInteger.Zero);
                case JsonValueKind.Number:
                    var raw = v.ToJsonString();
                    return IsIntegerLiteral(raw) ? Of(BigInteger.Parse(raw, CultureInfo.InvariantCulture)) : Of(double.Parse(raw, CultureInfo.InvariantCulture));
                default: return null;
            }
        }

        public int CompareTo(Num other)
        {
            if (Integer is { } a && other.Integer is { } b) { return a.CompareTo(b); }
            if (Integer is { } ai) { return CompareIntReal(ai, other.Real); }
            if (other.Integer is { } bi) { return -CompareIntReal(bi, Real); }
            return Real.CompareTo(other.Real);
        }

        private static int CompareIntReal(BigInteger a, double b)
        {
            if (double.IsNaN(b)) { return 0; }
            if (double.IsPositiveInfinity(b)) { return -1; }
            if (double.IsNegativeInfinity(b)) { return 1; }
            var floor = Math.Floor(b);
            var c = a.CompareTo(new BigInteger(floor));
            if (c != 0) { return c; }
            return b > floor ? -1 : 0;
        }

        public override string ToString() => Integer?.ToString(CultureInfo.InvariantCulture) ?? Float(Real);
    }

    /// <summary>Python's <c>int(v)</c>.</summary>
    public static BigInteger ToInt(JsonNode? node)
    {
        switch (node)
        {
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                var s = v.GetValue<string>();
                var t = s.Trim().Replace("_", string.Empty, StringComparison.Ordinal);
                if (t.Length > 0 && !s.Contains("__", StringComparison.Ordinal) && BigInteger.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
                {
                    return parsed;
                }
                throw new PyException("ValueError", "invalid literal for int() with base 10: " + StrQuote(s));
            case JsonValue v when Num.FromJson(v) is { } n:
                if (n.Integer is { } i) { return i; }
                if (double.IsNaN(n.Real)) { throw new PyException("ValueError", "cannot convert float NaN to integer"); }
                if (double.IsInfinity(n.Real)) { throw new PyException("OverflowError", "cannot convert float infinity to integer"); }
                return new BigInteger(Math.Truncate(n.Real));
            default:
                throw new PyException("TypeError", "int() argument must be a string, a bytes-like object or a real number, not '" + TypeName(node) + "'");
        }
    }

    /// <summary>Python's <c>float(v)</c>.</summary>
    public static double ToFloat(JsonNode? node)
    {
        switch (node)
        {
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                var s = v.GetValue<string>();
                var t = s.Trim().ToLowerInvariant();
                if (t is "inf" or "+inf" or "infinity" or "+infinity") { return double.PositiveInfinity; }
                if (t is "-inf" or "-infinity") { return double.NegativeInfinity; }
                if (t is "nan" or "+nan" or "-nan") { return double.NaN; }
                if (t.Length > 0 && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) { return d; }
                throw new PyException("ValueError", "could not convert string to float: " + StrQuote(s));
            case JsonValue v when Num.FromJson(v) is { } n:
                return n.Integer is { } i ? (double)i : n.Real;
            default:
                throw new PyException("TypeError", "float() argument must be a string or a real number, not '" + TypeName(node) + "'");
        }
    }

    /// <summary>Python's <c>bool(v)</c>.</summary>
    public static bool ToBool(JsonNode? node) => node switch
    {
        null => false,
        JsonArray a => a.Count > 0,
        JsonObject o => o.Count > 0,
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => node.GetValue<string>().Length > 0,
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => Num.FromJson(node) is { } n && (n.Integer is { } i ? !i.IsZero : n.Real != 0),
        },
    };

    public static JsonNode FloatNode(double d) =>
        double.IsFinite(d) ? RawNumber(Float(d)) : JsonValue.Create(Float(d));

    public static string[] FakeTraceback(string where) =>
        [$"  File \"standin/{where}.py\", line 1, in {where}\n"];
}
