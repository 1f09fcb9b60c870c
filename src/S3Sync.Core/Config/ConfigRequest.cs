namespace S3Sync.Config;

/// <summary>
/// Everything a command line says about the configuration, as plain data: the file (<c>-c FILE</c>) or the ad-hoc
/// words (<c>DIR s3://BUCKET[/PREFIX]</c>, <c>s3://BUCKET[/PREFIX] DIR</c>, or for <c>ls</c> the URL alone), the site
/// selection, the flags that mirror keys, the filters in order, the logging and timeout flags, and the environment
/// (read through <see cref="AwsEnvironment"/>'s functions, never from the process here). <see cref="ConfigAssembly"/>
/// turns it into a <see cref="SyncConfig"/>.
/// </summary>
public sealed record ConfigRequest
{
    /// <summary>-c FILE.</summary>
    public string? ConfigPath { get; init; }
    /// <summary>The first word: DIR, or S3_URL (the download form, and <c>ls</c>).</summary>
    public string? Source { get; init; }
    /// <summary>The second word: S3_URL, or DIR in the download form.</summary>
    public string? Destination { get; init; }
    /// <summary>ls: one word, the URL to list; no folder and no filters.</summary>
    public bool Listing { get; init; }
    /// <summary>--site, repeatable: only these sites (all when empty).</summary>
    public IReadOnlyList<string> Sites { get; init; } = [];
    public SiteFlags Flags { get; init; } = new();
    public IReadOnlyList<FilterFlag> Filters { get; init; } = [];
    /// <summary>--timeout, as typed.</summary>
    public string? Timeout { get; init; }
    /// <summary>--loglevel, as typed.</summary>
    public string? LogLevel { get; init; }
    /// <summary>--log-format, as typed (text when null).</summary>
    public string? LogFormat { get; init; }
    public bool Verbose { get; init; }
    public bool VeryVerbose { get; init; }
    public bool Quiet { get; init; }
    /// <summary>--max-delete of sync and restore, as typed (the sites' max_delete when null).</summary>
    public string? MaxDelete { get; init; }
    /// <summary>--workers of sync and restore, as typed: a fixed transfer concurrency.</summary>
    public string? Workers { get; init; }
    /// <summary>The AWS environment below the file and the flags (variables, shared profiles).</summary>
    public required AwsEnvironment Environment { get; init; }

    /// <summary>True for the ad-hoc download form, <c>s3://BUCKET[/PREFIX] DIR</c> (the URL first).</summary>
    public bool IsDownload => !Listing && IsDownloadForm(Source, Destination);

    /// <summary>True when the words are <c>s3://BUCKET[/PREFIX] DIR</c> or the URL alone (the download direction).</summary>
    public static bool IsDownloadForm(string? source, string? destination) =>
        source is { } first && first.StartsWith(S3Url.Scheme, StringComparison.OrdinalIgnoreCase)
        && (destination is not { } second || !second.StartsWith(S3Url.Scheme, StringComparison.OrdinalIgnoreCase));
}
