using System.Security.Cryptography;

namespace S3Sync.Watching;

/// <summary>
/// Calls back when the configuration file's content changes. It watches the file's folder, not the file, so an
/// editor's save-by-rename and a Kubernetes ConfigMap update (the <c>..data</c> symlink swapped by rename) are both
/// seen; the content is compared so touching the folder without changing the file reloads nothing. Only a close after
/// writing or a rename counts, never a write still under way; <see cref="WatchService"/> then waits for the file to
/// be quiet before it reads it.
/// </summary>
public sealed class ConfigFileWatcher : IDisposable
{
    private readonly string _path;
    private readonly Action _changed;
    private readonly InotifySource _source;
    private readonly object _gate = new();
    private byte[]? _hash;

    public ConfigFileWatcher(string path, Action changed)
    {
        _path = Path.GetFullPath(path);
        _changed = changed;
        _hash = Hash();
        _source = new InotifySource(Path.GetDirectoryName(_path)!, recursive: false);
        _source.Start(OnEvent);
    }

    private void OnEvent(ChangeEvent e)
    {
        // A close after writing or a rename into place, never a write still under way: a file written in two steps
        // through one handle is read once it is closed, whole.
        if (e.Kind is not (ChangeKind.Closed or ChangeKind.Removed or ChangeKind.FolderRemoved)) return;
        lock (_gate)
        {
            var now = Hash();
            if (now is null || (_hash is not null && now.AsSpan().SequenceEqual(_hash))) return;
            _hash = now;
        }
        _changed();
    }

    /// <summary>The file's state: its content's hash, or the hash of why it cannot be used (a link to /dev/zero, a FIFO,
    /// a file over the bound: a change the reload then refuses in one line); null while it is missing (a rename under
    /// way). Read as every configuration file is (<see cref="Config.ConfigLoader.ReadFile"/>): never blocks, never
    /// reads more than the bound.</summary>
    private byte[]? Hash() => State(_path) is { } state ? SHA256.HashData(state) : null;

    internal static byte[]? State(string path)
    {
        try { return Config.ConfigLoader.ReadFile(path); }
        catch (Config.UserFileException e) when (e.Message.StartsWith("no such file", StringComparison.Ordinal)) { return null; }
        catch (Config.UserFileException e) { return System.Text.Encoding.UTF8.GetBytes("refused: " + e.Message); }
    }

    public void Dispose() => _source.Dispose();
}
