using System.Diagnostics;
using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Planning;
using S3Sync.State;

namespace S3Sync.Execution;

/// <summary>Settings of a sync run that are not per site.</summary>
public sealed record SyncSettings
{
    public int Workers { get; init; } = Defaults.UploadWorkers;
    public int QueueBuffer { get; init; }

    /// <summary>Overrides every site's <c>max_delete</c> when set (the <c>--max-delete</c> flag).</summary>
    public DeleteLimit? MaxDelete { get; init; }

    /// <summary>
    /// When set, open multipart uploads under the site's prefix initiated before this instant <em>and abandoned</em>
    /// (<see cref="SiteSync.AbandonedAfter"/>) are aborted at the end of the run: left behind by a run that crashed or
    /// lost the server, they would be billed forever. <c>sync</c> passes its process start; a long-running
    /// <c>watch</c> must pass its own start, never each rescan's. Null: leave open uploads alone.
    /// </summary>
    public DateTime? AbortUploadsStartedBefore { get; init; }

    /// <summary>The clock the stale-upload cleanup compares the server's times with.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Hash every file compared, ignoring the hash cache (the <c>--rehash</c> flag).</summary>
    public bool Rehash { get; init; }

    /// <summary>Read every object's stored headers, ACL and encryption (a HEAD each) and repair those that differ from
    /// the site's, even when the state folder says they were applied (the <c>--deep</c> flag: another tool changed them).</summary>
    public bool Deep { get; init; }

    /// <summary>Where the applied upload settings are remembered; null: never compare objects' settings.</summary>
    public SettingsLedger? Ledger { get; init; }

    /// <summary>Where the sub-mounts of each local_path are remembered; null: an unmounted sub-mount is not recognised.</summary>
    public MountLedger? Mounts { get; init; }

    /// <summary>Where the counts behind the summary warnings (links, special files skipped) are remembered: each is a
    /// warning when its count changed since the last run, else a debug line. Null: a warning every run.</summary>
    public NoticeLedger? Notices { get; init; }

    /// <summary>Plan, pass the deletions through the guard, report each action as planned (or held), change nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary>Log each action as its <see cref="ActionLine"/> at info (false under <c>--json</c>, whose lines say it).</summary>
    public bool LogActions { get; init; } = true;

    /// <summary>How equal content is decided (<c>--size-only</c>).</summary>
    public ComparisonPolicy Comparison { get; init; } = ComparisonPolicy.Content;

    /// <summary><c>--max-age</c>: only files modified at or after this instant are considered (<see cref="PlanOptions.ModifiedSince"/>).</summary>
    public DateTime? ModifiedSince { get; init; }

    /// <summary><c>--delete-excluded</c> (<see cref="PlanOptions.DeleteExcluded"/>).</summary>
    public bool DeleteExcluded { get; init; }

    /// <summary>The run's shared limits: the byte budget of the site's own upload pool (the bandwidth is the store's);
    /// null: a budget of the pool's own.</summary>
    public TransferLimits? Limits { get; init; }

    /// <summary>When the run started: the name of its folder under <c>backup_path</c> (<see cref="BackupPlace"/>);
    /// null: the site's run start, read from <see cref="Time"/>.</summary>
    public DateTimeOffset? RunStarted { get; init; }

    /// <summary>Copy objects of the same content server-side instead of uploading new files (<see cref="MoveFinder"/>).</summary>
    public bool Moves { get; init; } = true;
}
