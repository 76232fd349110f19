using System.Globalization;
using System.Runtime.InteropServices;

namespace DreamLayer.Web.Security;

/// <summary>
/// Files and folders the app creates are its owner's only: the process's umask is set at start-up (default
/// <c>077</c>: folders 0700, files 0600), before anything is written, so it covers everything the process creates —
/// the database and its -wal/-shm files (SQLite), logs (Serilog), images, thumbnails, uploads and the key ring. A data
/// folder left open by an older version is closed too (its contents then cannot be reached by others).
/// </summary>
public static partial class FilePermissions
{
    /// <summary>The setting that overrides the mask, as octal digits (e.g. <c>027</c> to let the owner's group read).</summary>
    public const string UmaskSetting = "Storage:Umask";

    public const string DefaultUmask = "077";

    /// <summary>Sets the process's umask from configuration and closes the data folder; a no-op on Windows.</summary>
    /// <returns>The mask in effect, or null on Windows.</returns>
    public static UnixFileMode? Restrict(IConfiguration configuration, string contentRoot)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (OperatingSystem.IsWindows())
        {
            return null;
        }
        var mask = Parse(configuration[UmaskSetting] ?? DefaultUmask);
        _ = SetUmask((uint)mask);
        var data = Path.GetFullPath(configuration["Storage:DataDirectory"] ?? "data", contentRoot);
        CloseFolder(data, mask);
        return mask;
    }

    /// <summary>Octal digits (<c>077</c>, <c>0027</c>) to a mask of permission bits; anything else is refused with the reason.</summary>
    public static UnixFileMode Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var digits = text.Trim();
        if (digits.Length is 0 or > 4 || !digits.All(c => c is >= '0' and <= '7'))
        {
            throw new InvalidOperationException($"{UmaskSetting} must be octal digits such as {DefaultUmask} (got \"{text}\").");
        }
        var value = Convert.ToInt32(digits, 8);
        if (value > 0x1FF)
        {
            throw new InvalidOperationException($"{UmaskSetting} may only hold permission bits (at most 777; got \"{text}\").");
        }
        return (UnixFileMode)value;
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void CloseFolder(string folder, UnixFileMode mask)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }
        var mode = File.GetUnixFileMode(folder);
        var allowed = mode & ~mask;
        if (allowed == mode)
        {
            return;
        }
        try
        {
            File.SetUnixFileMode(folder, allowed);
        }
        catch (UnauthorizedAccessException ex)
        {
            // Not the folder's owner: the app still runs; the operator is told how to close it.
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"DreamLayer: the data folder {folder} is readable by others and cannot be changed by this user ({ex.Message}); run chmod 700 on it."));
        }
    }

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint SetUmask(uint mask);
}
