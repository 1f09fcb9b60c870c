using Microsoft.Extensions.Logging;
using S3Sync.Reporting;

namespace S3Sync.Execution;

/// <summary>
/// The one line per action a run takes, at <c>info</c>, like <c>aws s3 sync</c> prints them: <c>upload: docs/a.txt</c>,
/// <c>delete: old.txt</c>, <c>copy: x (STANDARD_IA)</c>, <c>download: y</c>. The key is always the path relative to the
/// site's folder (the S3 key less the site's prefix), in every command and at every level. Every command that acts
/// calls this, so the form stays one.
/// </summary>
public static class ActionLine
{
    public const string Upload = "upload";
    public const string Delete = "delete";
    /// <summary>A server-side copy onto itself: a storage class, metadata, header or encryption change.</summary>
    public const string Copy = "copy";
    public const string Download = "download";
    /// <summary>A file whose content the site already held at a key the run deletes: copied server-side, then the
    /// old key deleted (<c>move: a -> b</c>). A copy from a key that stays is <see cref="Copy"/> (<c>copy: a -> b</c>).</summary>
    public const string Move = "move";
    /// <summary>Restore: the file's bytes are right; its mode, owner or mtime was set from the object.</summary>
    public const string Metadata = "metadata";

    /// <summary>Logs <c>verb: key</c>, or <c>verb: key (detail)</c>, at information level.</summary>
    /// <param name="site">Prefixed as <c>site NAME: </c> where several sites share one log (watch); null in sync.</param>
    public static void Log(ILogger logger, string verb, string relativeKey, string? detail = null, string? site = null)
    {
        if (!logger.IsEnabled(LogLevel.Information)) return;
        if (site is null)
        {
            if (detail is null) logger.LogInformation("{Action}: {Key}", verb, relativeKey);
            else logger.LogInformation("{Action}: {Key} ({Detail})", verb, relativeKey, detail);
        }
        else
        {
            if (detail is null) logger.LogInformation("site {Site}: {Action}: {Key}", site, verb, relativeKey);
            else logger.LogInformation("site {Site}: {Action}: {Key} ({Detail})", site, verb, relativeKey, detail);
        }
    }

    /// <summary>Logs <c>move: a -> b</c> (or <c>copy: a -> b</c>) at information level.</summary>
    public static void LogMove(ILogger logger, string verb, string fromKey, string relativeKey, string? site = null)
    {
        if (!logger.IsEnabled(LogLevel.Information)) return;
        if (site is null) logger.LogInformation("{Action}: {From} -> {Key}", verb, fromKey, relativeKey);
        else logger.LogInformation("site {Site}: {Action}: {From} -> {Key}", site, verb, fromKey, relativeKey);
    }

    /// <summary><c>move: a -> b</c> as text.</summary>
    public static string MoveText(string verb, string fromKey, string relativeKey) =>
        $"{verb}: {Printable.Escape(fromKey)} -> {Printable.Escape(relativeKey)}";

    /// <summary>The line as text (<c>upload: docs/a.txt</c>), for outputs that are not a log.</summary>
    public static string Text(string verb, string relativeKey, string? detail = null) =>
        detail is null ? $"{verb}: {Printable.Escape(relativeKey)}" : $"{verb}: {Printable.Escape(relativeKey)} ({detail})";
}
