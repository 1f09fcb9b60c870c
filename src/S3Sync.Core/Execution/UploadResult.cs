using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using S3Sync.Planning;

namespace S3Sync.Execution;

/// <summary>The result of one job, for counters, logs and (in watch) the metrics.</summary>
/// <param name="Detail">What an in-place change changed (the storage class, "metadata, mode 644"), as its action line says.</param>
public sealed record UploadResult(PlanEntry Entry, UploadOutcome Outcome, long Bytes, string? Error, string? Detail = null);
