namespace S3Sync.Execution;

/// <summary>
/// An append-only list of keys that stays small in memory: the first <c>memoryLimit</c> keys are held, the rest
/// spill to a temporary file (deleted on dispose), then everything is read back in order, in batches. Deletions
/// wait for the end of the walk and the listing, and a million of them must not mean a million strings in memory.
/// </summary>
public sealed class KeySpill(int memoryLimit = 10_000) : IDisposable
{
    private readonly List<string> _head = [];
    private string? _path;
    private BinaryWriter? _writer;

    public long Count { get; private set; }

    public void Add(string key)
    {
        Count++;
        if (_head.Count < memoryLimit)
        {
            _head.Add(key);
            return;
        }
        if (_writer is null)
        {
            _path = Path.Combine(Path.GetTempPath(), $"s3sync-deletes-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
            var stream = new FileStream(_path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
            _writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: false);
        }
        // Length-prefixed, since an S3 key may hold a newline.
        _writer.Write(key);
    }

    /// <summary>Every key in the order added, <paramref name="batchSize"/> at a time.</summary>
    public IEnumerable<IReadOnlyList<string>> Batches(int batchSize = 1000)
    {
        var batch = new List<string>(batchSize);
        foreach (var key in _head)
        {
            batch.Add(key);
            if (batch.Count == batchSize) { yield return batch; batch = new List<string>(batchSize); }
        }
        if (_writer is not null)
        {
            _writer.Flush();
            var stream = _writer.BaseStream;
            stream.Position = 0;
            using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            while (stream.Position < stream.Length)
            {
                batch.Add(reader.ReadString());
                if (batch.Count == batchSize) { yield return batch; batch = new List<string>(batchSize); }
            }
            stream.Position = stream.Length;
        }
        if (batch.Count > 0) yield return batch;
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _writer = null;
        if (_path is not null) try { File.Delete(_path); } catch (IOException) { }
    }
}
