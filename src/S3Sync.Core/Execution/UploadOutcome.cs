using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace S3Sync.Execution;

/// <summary>How one upload or in-place change ended.</summary>
public enum UploadOutcome { Uploaded, ChangedInPlace, Vanished, Failed }
