using System.Globalization;
using S3Sync.Local;

namespace S3Sync.Remote;

/// <summary>
/// The user metadata (<c>x-amz-meta-*</c>) in which s3sync keeps a file's <see cref="FileMetadata"/>, and how it is read
/// back. The names follow the peers where they have one, so their tools read what s3sync wrote:
/// <list type="table">
/// <item><term><c>mtime</c></term><description>modification time as rclone writes it: Unix seconds, a dot, nine digits
/// of nanoseconds (<c>1700000000.123456789</c>); rclone reads it as the object's modification time.</description></item>
/// <item><term><c>mode</c></term><description><c>st_mode</c> in octal with the type bits (<c>100644</c>), the form of
/// rclone's local metadata.</description></item>
/// <item><term><c>uid</c>, <c>gid</c></term><description>owner and group ids, decimal.</description></item>
/// <item><term><c>uname</c>, <c>gname</c></term><description>owner and group names when the system knows them
/// (s3cmd's names), percent-encoded UTF-8.</description></item>
/// <item><term><c>s3sync-symlink</c></term><description>a preserved link's target, percent-encoded UTF-8.</description></item>
/// </list>
/// Besides these, about the content (<see cref="UploadHeaders"/>): <c>s3sync-md5</c>, the whole-file MD5 in hex, and on
/// multipart objects rclone's <c>md5chksum</c> (base64), both only when the MD5 was known at CreateMultipartUpload (a
/// large new file uploaded in one read pass has neither: its multipart ETag proves its content); <c>s3sync-part-size</c>,
/// s3sync's part size in bytes on every multipart upload it makes, so the ETag can be reproduced from the file; and
/// <c>s3sync-hdr</c>, the digest of the site's header, ACL and encryption settings.
/// </summary>
public static class ObjectMetadata
{
    public const string MtimeKey = "mtime";
    public const string ModeKey = "mode";
    public const string UidKey = "uid";
    public const string GidKey = "gid";
    public const string UserNameKey = "uname";
    public const string GroupNameKey = "gname";
    public const string LinkTargetKey = "s3sync-symlink";

    /// <summary>Adds the metadata entries for a file, in a fixed order, to <paramref name="headers"/> as
    /// <c>x-amz-meta-NAME</c>; values are ASCII (header-safe).</summary>
    public static void AddTo(List<KeyValuePair<string, string>> headers, FileMetadata file)
    {
        void Add(string name, string value) => headers.Add(new(UploadHeaders.MetaPrefix + name, value));
        Add(MtimeKey, FormatMtime(file.MtimeNs));
        Add(ModeKey, Convert.ToString(file.Mode, 8));
        if (file.Uid is { } uid) Add(UidKey, uid.ToString(CultureInfo.InvariantCulture));
        if (file.Gid is { } gid) Add(GidKey, gid.ToString(CultureInfo.InvariantCulture));
        if (file.UserName is { Length: > 0 } user) Add(UserNameKey, Uri.EscapeDataString(user));
        if (file.GroupName is { Length: > 0 } group) Add(GroupNameKey, Uri.EscapeDataString(group));
        if (file.LinkTarget is { } target) Add(LinkTargetKey, Uri.EscapeDataString(target));
    }

    /// <summary>rclone's form: <c>seconds.nanoseconds</c>, nine digits after the dot (negative before 1970).</summary>
    public static string FormatMtime(long ns)
    {
        var seconds = Math.DivRem(ns, 1_000_000_000, out var rest);
        if (rest < 0) { seconds--; rest += 1_000_000_000; }
        return seconds.ToString(CultureInfo.InvariantCulture) + "." + rest.ToString("D9", CultureInfo.InvariantCulture);
    }

    /// <summary>Reads <c>seconds[.fraction]</c> (up to nine digits); null when it is not that.</summary>
    public static long? ParseMtime(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var whole = dot < 0 ? text : text[..dot];
        // Nanoseconds in a long reach 1677-09-21 and 2262-04-11: seconds beyond would wrap round (99999999999 became 2216).
        if (long.TryParse(whole, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds) && seconds is > -9_223_372_036 and < 9_223_372_036)
        {
            long fraction = 0;
            if (dot >= 0)
            {
                var digits = text[(dot + 1)..];
                if (digits.Length is 0 or > 9 || !digits.All(char.IsAsciiDigit)) return null;
                fraction = long.Parse(digits.PadRight(9, '0'), CultureInfo.InvariantCulture);
            }
            // Before 1970 too the fraction counts up from the (floored) seconds, as Go's Unix() and Nanosecond() give them.
            return seconds * 1_000_000_000 + fraction;
        }
        return null;
    }

    /// <summary>The file metadata held by an object, or null when it has no (well-formed) <c>mtime</c> and <c>mode</c>.
    /// <paramref name="metadata"/> answers a name without the <c>x-amz-meta-</c> prefix. A mode without type bits is a
    /// regular file's, or with <paramref name="folder"/> (a <c>key/</c> marker) a folder's.</summary>
    public static FileMetadata? Parse(Func<string, string?> metadata, bool folder = false)
    {
        var mtime = ParseMtime(metadata(MtimeKey));
        int mode;
        try
        {
            if (mtime is null || metadata(ModeKey)?.Trim() is not { Length: > 0 and <= 7 } octal || !octal.All(c => c is >= '0' and <= '7')) return null;
            mode = Convert.ToInt32(octal, 8);
        }
        catch (FormatException) { return null; }
        if ((mode & FileMetadata.TypeMask) == 0) mode |= folder ? FileMetadata.Directory : FileMetadata.RegularFile;
        return new FileMetadata(mtime.Value, mode, Id(metadata(UidKey)), Id(metadata(GidKey)), Text(metadata(UserNameKey)), Text(metadata(GroupNameKey)))
        {
            LinkTarget = Text(metadata(LinkTargetKey)),
        };
    }

    /// <summary>
    /// Why the metadata of an object cannot be applied as it stands, or null: an <c>mtime</c> or <c>mode</c> that is
    /// there but is not one (<see cref="Parse"/> would leave the object without metadata, and a restore would apply the
    /// upload time and the default mode in silence), or what <see cref="FileMetadata.Problem"/> finds in what it parsed.
    /// </summary>
    public static string? Problem(Func<string, string?> metadata)
    {
        if (metadata(MtimeKey) is { Length: > 0 } mtime && ParseMtime(mtime) is null)
            return $"the stored mtime '{Reporting.Printable.Escape(mtime.Length > 40 ? mtime[..40] + "..." : mtime)}' is not a time a file can have";
        if (metadata(ModeKey) is { Length: > 0 } mode && (mode.Trim() is not { Length: > 0 and <= 7 } octal || !octal.All(c => c is >= '0' and <= '7')))
            return $"the stored mode '{Reporting.Printable.Escape(mode.Length > 40 ? mode[..40] + "..." : mode)}' is not an octal mode";
        return Parse(metadata)?.Problem();
    }

    private static int? Id(string? text) =>
        int.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

    private static string? Text(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        try { return Uri.UnescapeDataString(text.Trim()); }
        catch (UriFormatException) { return null; }
    }
}
