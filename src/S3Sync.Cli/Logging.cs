using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using S3Sync.Config;

namespace S3Sync.Cli;

/// <summary>Logging on stderr at the configured level: text or JSON lines (<see cref="StderrLoggerProvider"/>, buffered),
/// with journald priorities when stderr is the journal. Dispose it before exit: lines are held back in a buffer.</summary>
public static class Logging
{
    public static LogLevel ToLevel(LogVerbosity verbosity) => verbosity switch
    {
        LogVerbosity.Trace => LogLevel.Trace,
        LogVerbosity.Debug => LogLevel.Debug,
        LogVerbosity.Info => LogLevel.Information,
        LogVerbosity.Warn => LogLevel.Warning,
        LogVerbosity.Error => LogLevel.Error,
        _ => LogLevel.Critical,
    };

    /// <summary>Every message is escaped (<see cref="EscapingLogger"/>): keys may hold control characters.</summary>
    public static ILoggerFactory Create(LogVerbosity verbosity, bool json)
    {
        return new EscapingLoggerFactory(LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(ToLevel(verbosity));
            builder.AddFilter("Amazon", LogLevel.Warning);
            // Under systemd with stderr connected to journald (not merely JOURNAL_STREAM inherited): <N> priorities.
            var journal = S3Sync.Reporting.JournalStream.Is(2, Environment.GetEnvironmentVariable("JOURNAL_STREAM"));
            // Made by the factory's container, so disposing the factory disposes it (flushes); an instance given
            // with AddProvider would not be.
            builder.Services.AddSingleton<ILoggerProvider>(_ => new StderrLoggerProvider(json: json, journal: journal));
        }));
    }
}
