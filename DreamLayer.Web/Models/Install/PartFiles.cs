namespace DreamLayer.Web.Models.Install;

/// <summary>
/// Opens the temporary (<c>.part</c>) file an install writes: the one place an install's bytes reach the disk, so what a
/// disk does to a write (fills up, fails) is met here. Registered once; a test puts a disk that fills up in its place.
/// </summary>
public interface IPartFiles
{
    /// <summary>A new, empty file at <paramref name="path"/> (replacing one there), open for asynchronous writing.</summary>
    Stream Create(string path);
}

/// <summary>The real files: unbuffered, asynchronous, readable by others while written.</summary>
public sealed class PartFiles : IPartFiles
{
    public Stream Create(string path) =>
        new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous);

    /// <summary>
    /// True when a write failed because the disk (or the user's quota on it) is full: ENOSPC, or EDQUOT on Linux (on Unix
    /// .NET's <see cref="Exception.HResult"/> of an I/O error is the errno), ERROR_DISK_FULL or ERROR_HANDLE_DISK_FULL on Windows.
    /// </summary>
    public static bool IsDiskFull(IOException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return ex.HResult switch
        {
            28 => !OperatingSystem.IsWindows(),
            122 => OperatingSystem.IsLinux(),
            unchecked((int)0x80070070) or unchecked((int)0x80070027) => OperatingSystem.IsWindows(),
            _ => false,
        };
    }
}
