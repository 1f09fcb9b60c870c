using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace S3Sync.Execution;

/// <summary>How one restore job ended.</summary>
public enum DownloadOutcome { Written, MetadataApplied, Failed, Skipped }
