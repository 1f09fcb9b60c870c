using System.Runtime.InteropServices;

namespace S3Sync.Hashing;

/// <summary>
/// The state folder (hash cache, settings ledger, mount records) holds the list of every backed-up path: it is
/// private to its owner. Created 0700, the database 0600; an existing folder or database that others can read is
/// tightened when this user owns it, and warned about (once, with the fix) when it does not.
/// </summary>
public static partial class StateFolder
{
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates <paramref name="directory"/> (0700, parents as needed) or makes an existing one private.</summary>
    public static void Prepare(string directory, Action<string> warn)
    {
        if (!OperatingSystem.IsLinux()) { Directory.CreateDirectory(directory); return; }
        if (!Directory.Exists(directory)) Directory.CreateDirectory(directory, FolderMode);
        Tighten(directory, FolderMode, "state folder", warn);
    }

    /// <summary>Creates the file 0600 when it does not exist, else makes it private (SQLite's -wal and -shm copy its mode).</summary>
    public static void PrepareFile(string path, Action<string> warn)
    {
        if (!OperatingSystem.IsLinux()) return;
        if (!File.Exists(path))
        {
            using var created = new FileStream(path, new FileStreamOptions { Mode = System.IO.FileMode.OpenOrCreate, Access = FileAccess.Write, UnixCreateMode = FileMode });
            return;
        }
        Tighten(path, FileMode, "hash cache", warn);
        foreach (var sidecar in new[] { path + "-wal", path + "-shm" })
            if (File.Exists(sidecar)) Tighten(sidecar, FileMode, "hash cache", warn);
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void Tighten(string path, UnixFileMode mode, string what, Action<string> warn)
    {
        UnixFileMode current;
        try { current = File.GetUnixFileMode(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        if ((current & Others) == 0) return;
        var owner = Local.FileMetadata.TryRead(path)?.Uid;
        if (owner is { } uid && uid != (int)geteuid())
        {
            warn($"{what} {path} is readable by others (mode {Convert.ToString((int)current, 8)}) and owned by uid {uid}, not this user: it lists every backed-up path; run chmod {Convert.ToString((int)mode, 8)} {path}");
            return;
        }
        try
        {
            File.SetUnixFileMode(path, mode);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warn($"{what} {path} is readable by others (mode {Convert.ToString((int)current, 8)}) and could not be made private ({e.Message}); run chmod {Convert.ToString((int)mode, 8)} {path}");
        }
    }

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
