using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using S3Sync.Planning;

namespace S3Sync.Execution;

/// <summary>The result of one restore job, for counters and logs.</summary>
public sealed record DownloadResult(PlanEntry Entry, DownloadOutcome Outcome, long Bytes, string? Error, string? Warning = null);
