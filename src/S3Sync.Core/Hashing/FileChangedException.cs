using System.Buffers;
using System.Security.Cryptography;

namespace S3Sync.Hashing;

/// <summary>The file changed while it was read: its size or modification time moved.</summary>
public sealed class FileChangedException(string path) : IOException($"{path}: changed while it was read");
