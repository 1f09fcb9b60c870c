using System.Diagnostics;
using Microsoft.Extensions.Logging;
using S3Sync.Config;

namespace S3Sync.Execution;

/// <summary>The summary of one site's sync.</summary>
public sealed record SiteResult(Site Site, SiteStatus Status, SiteStats Stats, TimeSpan Elapsed, IReadOnlyList<string> Problems)
{
    /// <summary>Symbolic links the walk skipped or refused (the summary warning's count).</summary>
    public int LinksSkipped { get; init; }

    /// <summary>FIFOs, sockets and devices the walk skipped.</summary>
    public int SpecialFilesSkipped { get; init; }
}
