using System.Runtime.CompilerServices;
using S3Sync.Hashing;
using S3Sync.Local;

namespace S3Sync.Planning;

/// <summary>Hashes with <see cref="FileHasher"/>, no cache.</summary>
public sealed class DirectDigestSource : IDigestSource
{
    public static readonly DirectDigestSource Instance = new();

    public Task<FileDigest> GetAsync(LocalEntry entry, IReadOnlyList<long> extraPartSizes, CancellationToken cancellationToken) =>
        FileHasher.HashAsync(entry.FullPath, entry.Identity, extraPartSizes, cancellationToken);
}
