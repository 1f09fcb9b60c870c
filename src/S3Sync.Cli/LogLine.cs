using Microsoft.Extensions.Logging;

namespace S3Sync.Cli;

/// <summary>The text form of a log line, as the console logger's single-line format wrote it:
/// <c>12:00:00 info: s3sync[0] message</c> (local time, the level in four letters, the category and the event id).</summary>
public static class LogLine
{
    public static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    /// <summary>One line: a message's line breaks become spaces.</summary>
    public static string Format(DateTimeOffset localNow, LogLevel level, string category, EventId eventId, string message) =>
        $"{localNow:HH:mm:ss} {Level(level)}: {category}[{eventId.Id}] {message.ReplaceLineEndings(" ")}";
}
