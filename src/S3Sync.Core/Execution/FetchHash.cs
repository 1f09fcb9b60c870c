using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace S3Sync.Execution;

/// <summary>What a <see cref="PartFetcher"/> hashes as the bytes come in.</summary>
public enum FetchHash
{
    /// <summary>Nothing (another tool's part layout: the file is read back).</summary>
    None,

    /// <summary>Each part's MD5 (s3sync's own part layout: the part MD5s prove the multipart ETag).</summary>
    Parts,

    /// <summary>The MD5 of the whole object (one GET).</summary>
    Whole,
}
