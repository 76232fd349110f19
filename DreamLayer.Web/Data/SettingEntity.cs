namespace DreamLayer.Web.Data;

/// <summary>One app-wide setting an admin changes in the UI (key → value as text).</summary>
public sealed class SettingEntity
{
    public string Key { get; set; } = string.Empty;
    public string Value { get; set; } = string.Empty;
}
