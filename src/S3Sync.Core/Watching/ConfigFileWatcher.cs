using System.Security.Cryptography;

namespace S3Sync.Watching;

/// <summary>
/// Calls back when the configuration file's content changes. It watches the file's folder, not the file, so an
/// editor's save-by-rename and a Kubernetes ConfigMap update (the <c>..data</c> symlink swapped by rename) are both
/// seen; the content is compared so touching the folder without changing the file reloads nothing.
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
        if (e.Kind is not (ChangeKind.Closed or ChangeKind.Removed or ChangeKind.FolderRemoved or ChangeKind.Modified)) return;
        if (e.Kind == ChangeKind.Modified && Path.GetFullPath(e.Path) != _path) return;
        lock (_gate)
        {
            var now = Hash();
            if (now is null || (_hash is not null && now.AsSpan().SequenceEqual(_hash))) return;
            _hash = now;
        }
        _changed();
    }

    private byte[]? Hash()
    {
        try { return SHA256.HashData(File.ReadAllBytes(_path)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    public void Dispose() => _source.Dispose();
}
