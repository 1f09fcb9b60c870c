using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using S3Sync.Config;

namespace S3Sync.Cli;

/// <summary>Logging on stderr at the configured level: text lines (<see cref="StderrLoggerProvider"/>, buffered) or the
/// console logger's JSON. Dispose it before exit: both hold lines back (a buffer, a background thread).</summary>
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
            if (json)
            {
                builder.AddJsonConsole(o =>
                {
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                    o.UseUtcTimestamp = true;
                });
                builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            }
            else
            {
                // Made by the factory's container, so disposing the factory disposes it (flushes); an instance given
                // with AddProvider would not be.
                builder.Services.AddSingleton<ILoggerProvider>(_ => new StderrLoggerProvider());
            }
        }));
    }
}
