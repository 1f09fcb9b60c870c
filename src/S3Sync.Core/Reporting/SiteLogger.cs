using Microsoft.Extensions.Logging;

namespace S3Sync.Reporting;

/// <summary>
/// A logger for one site's work in a run of several: every line names the site. A message that does not start with
/// <c>site NAME: </c> gets it in front (<c>site etc: upload: fstab</c>), and the structured state gets a <c>Site</c>
/// value when it has none (the JSON log's <c>site</c> field). Lines that already name their site are left alone.
/// </summary>
public sealed class SiteLogger(ILogger inner, string site) : ILogger
{
    private readonly string _prefix = $"site {site}: ";

    /// <summary>The logger for a site: <paramref name="logger"/> itself when the run has one site and
    /// <paramref name="always"/> is false (its lines need no name), else one that names it.</summary>
    public static ILogger For(ILogger logger, string site, bool always) => always ? new SiteLogger(logger, site) : logger;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel)) return;
        var message = formatter(state, exception);
        if (!message.StartsWith(_prefix, StringComparison.Ordinal)) message = _prefix + message;
        var pairs = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
        if (!pairs.Any(p => p.Key == "Site")) pairs = [new("Site", site), .. pairs];
        inner.Log(logLevel, eventId, new LogState(pairs, message), exception, static (s, _) => s.Message);
    }
}
