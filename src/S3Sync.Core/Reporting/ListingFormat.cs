using System.Globalization;
using System.Text;
using System.Text.Json;
using S3Sync.Local;

namespace S3Sync.Reporting;

/// <summary>
/// The text and JSON forms of <c>s3sync ls</c>. Keys, version ids and stored link targets come from the bucket: in
/// text they go through <see cref="Printable.Escape"/> (one key, one line, no escape sequence reaches the terminal);
/// in JSON the writer escapes every control character (keys stay readable otherwise, as in the other reports).
/// </summary>
public static class ListingFormat
{
    /// <summary><c>key</c>; with <paramref name="long"/>:
    /// <c>-rw-r--r--  1234  2026-12-07T23:00:00Z  STANDARD  key</c> (mode and mtime from s3sync's stored metadata,
    /// else "-" and the object's Last-Modified). Versions add the version id and "(latest)"/"(delete marker)".</summary>
    public static string Text(ListingLine line, bool @long)
    {
        var key = Printable.Escape(line.Key);
        var version = line.VersionId is null ? "" : $"  {Printable.Escape(line.VersionId)}{(line.IsLatest ? " (latest)" : "")}{(line.IsDeleteMarker ? " (delete marker)" : "")}";
        if (line.IsFolder) return @long ? $"{"d",-10}  {"",12}  {"",-20}  {"",-12}  {key}" : key;
        if (!@long) return key + version;
        var mode = line.IsDeleteMarker ? "-" : line.File is { } f ? Mode(f) : "-";
        var mtime = line.File is { } stored ? Time(stored.MtimeNs) : line.LastModifiedUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var link = line.File?.LinkTarget is { } target ? $" -> {Printable.Escape(target)}" : "";
        return string.Create(CultureInfo.InvariantCulture, $"{mode,-10}  {line.Size,12}  {mtime,-20}  {(line.IsDeleteMarker ? "-" : Printable.Escape(line.StorageClass)),-12}  {key}{link}{version}");
    }

    /// <summary>One JSON object: key, size, last_modified, storage_class, etag; folder; version_id, latest,
    /// delete_marker; and with stored metadata mode (octal), mtime, uid, gid, link_target.</summary>
    public static string Json(ListingLine line, string? site)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (site is not null) w.WriteString("site", site);
            w.WriteString("key", line.Key);
            if (line.IsFolder)
            {
                w.WriteBoolean("folder", true);
            }
            else
            {
                w.WriteNumber("size", line.Size);
                w.WriteString("last_modified", line.LastModifiedUtc.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
                w.WriteString("storage_class", line.StorageClass);
                w.WriteString("etag", line.ETag);
            }
            if (line.VersionId is { } version)
            {
                w.WriteString("version_id", version);
                w.WriteBoolean("latest", line.IsLatest);
                if (line.IsDeleteMarker) w.WriteBoolean("delete_marker", true);
            }
            if (line.File is { } file)
            {
                w.WriteString("mode", Convert.ToString(file.Permissions, 8));
                w.WriteString("mtime", Time(file.MtimeNs));
                if (file.Uid is { } uid) w.WriteNumber("uid", uid);
                if (file.Gid is { } gid) w.WriteNumber("gid", gid);
                if (file.LinkTarget is { } target) w.WriteString("link_target", target);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A stored mtime (ns since 1970) as RFC 3339 UTC: whole seconds, or with all nine digits when it has any.</summary>
    public static string Time(long ns)
    {
        var seconds = Math.DivRem(ns, 1_000_000_000L, out var fraction);
        if (fraction < 0) { seconds--; fraction += 1_000_000_000L; }
        var text = DateTime.UnixEpoch.AddSeconds(seconds).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
        return fraction == 0 ? text + "Z" : string.Create(CultureInfo.InvariantCulture, $"{text}.{fraction:D9}Z");
    }

    /// <summary>"-rwxr-x---" from the stored mode (type and the 12 permission bits).</summary>
    public static string Mode(FileMetadata file)
    {
        var m = file.Mode;
        var sb = new StringBuilder(10);
        sb.Append((m & FileMetadata.TypeMask) switch { FileMetadata.SymbolicLink => 'l', FileMetadata.Directory => 'd', _ => '-' });
        ReadOnlySpan<char> rwx = "rwx";
        for (var i = 8; i >= 0; i--) sb.Append((m & (1 << i)) != 0 ? rwx[(8 - i) % 3] : '-');
        if ((m & 0x800) != 0) sb[3] = sb[3] == 'x' ? 's' : 'S';
        if ((m & 0x400) != 0) sb[6] = sb[6] == 'x' ? 's' : 'S';
        if ((m & 0x200) != 0) sb[9] = sb[9] == 'x' ? 't' : 'T';
        return sb.ToString();
    }
}
