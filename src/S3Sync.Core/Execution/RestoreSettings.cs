using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using S3Sync.Config;

namespace S3Sync.Execution;

/// <summary>Settings of a restore that are not per site.</summary>
/// <param name="Owner">Set owner and group from the object (restore as root without --no-owner).</param>
/// <param name="At">Point in time: restore the newest version of each key not newer than this (a versioned bucket).</param>
/// <param name="DryRun">Plan, pass the deletions through the guard, report each action as planned (or held), change nothing.</param>
/// <param name="LogActions">Log each action as its action line at info (false under <c>--json</c>, whose lines say it).</param>
public sealed record RestoreSettings(int Workers, bool Owner, DeleteLimit? MaxDelete = null, DateTime? At = null, bool DryRun = false, bool LogActions = true)
{
    /// <summary>The run's shared limits (its byte budget for data in memory); null: a budget of the restore's own.</summary>
    public TransferLimits? Limits { get; init; }
}
