using System.Security.Cryptography;
using System.Text;
using S3Sync.Config;
using S3Sync.Local;

namespace S3Sync.Remote;

/// <summary>
/// What a single PUT, a multipart upload (at CreateMultipartUpload) or an in-place copy carries besides the body.
/// <see cref="ToHttpHeaders"/> is the one place these become request headers: the signed PUT and the SDK path
/// both send exactly its list, so a rule added here reaches every upload. <see cref="For"/> turns a site's settings
/// (<c>headers</c> rules, <c>acl</c>, encryption) into them.
/// </summary>
/// <param name="FingerprintMd5Hex">The whole-file MD5 in hex for <c>s3sync-md5</c> (and rclone's <c>md5chksum</c> on a
/// multipart upload), or null when it is not known: a large file uploaded in one read pass goes without, its multipart
/// ETag at the recorded <see cref="PartSize"/> being the proof of its content.</param>
public sealed record UploadHeaders(string StorageClass, string ContentType, string? FingerprintMd5Hex)
{
    public const string MetaPrefix = "x-amz-meta-";

    /// <summary>User metadata holding s3sync's part size in bytes (decimal) on a multipart upload, written at
    /// CreateMultipartUpload: with it the object's multipart ETag can be reproduced from the file without guessing.</summary>
    public const string PartSizeKey = "s3sync-part-size";

    /// <summary>The part size of a multipart upload, stored as <see cref="PartSizeKey"/>; 0 stores none.</summary>
    public long PartSize { get; init; }

    /// <summary>User metadata holding <see cref="SettingsDigest"/>: what the site's rules, ACL and encryption gave the
    /// object when it was written, so a change of them is found by comparing one value.</summary>
    public const string SettingsKey = "s3sync-hdr";

    private static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>();

    /// <summary>The file's mtime, mode and owner, stored as <see cref="ObjectMetadata"/>; null stores none.</summary>
    public FileMetadata? File { get; init; }

    public string? CacheControl { get; init; }
    public string? ContentEncoding { get; init; }
    public string? ContentDisposition { get; init; }

    /// <summary>The canned ACL (<c>x-amz-acl</c>), or null for none.</summary>
    public string? Acl { get; init; }
    public Encryption Encryption { get; init; } = Encryption.None;

    /// <summary>User metadata from <c>headers</c> rules, names without <c>x-amz-meta-</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = NoMetadata;

    /// <summary>
    /// A short digest of the settings that shaped the object: the <c>headers</c> rule's fields (not the content type the
    /// extension table gives, so a newer table does not rewrite every object), the ACL and the encryption (mode, KMS key,
    /// the SSE-C key's MD5). Empty when all are defaults, and then not stored: an object without the key matches.
    /// </summary>
    public string SettingsDigest { get; init; } = "";

    /// <summary>The headers of an upload of <paramref name="relativePath"/> to <paramref name="site"/>.</summary>
    public static UploadHeaders For(Site site, string relativePath, string? fingerprintMd5Hex, FileMetadata? file = null)
    {
        var rule = site.Headers.For(relativePath);
        return new UploadHeaders(site.StorageClass, rule.ContentType ?? ContentTypes.For(relativePath), fingerprintMd5Hex)
        {
            // metadata: false stores no mode, owner or mtime: content only, so a touch or chmod changes nothing.
            File = site.Metadata ? file : null,
            CacheControl = rule.CacheControl,
            ContentEncoding = rule.ContentEncoding,
            ContentDisposition = rule.ContentDisposition,
            Acl = site.Acl,
            Encryption = site.Encryption,
            Metadata = rule.Metadata,
            SettingsDigest = DigestOf(rule, site.Acl, site.Encryption),
        };
    }

    /// <summary>See <see cref="SettingsDigest"/>; 16 hex digits of a SHA-256 over a canonical text.</summary>
    public static string DigestOf(HeaderSet rule, string? acl, Encryption encryption)
    {
        if (rule.IsEmpty && acl is null && encryption.Mode == EncryptionMode.None) return "";
        var text = new StringBuilder("v1");
        void Add(string name, string? value)
        {
            if (value is not null) text.Append('\n').Append(name).Append('=').Append(value);
        }
        Add("content-type", rule.ContentType);
        Add("cache-control", rule.CacheControl);
        Add("content-encoding", rule.ContentEncoding);
        Add("content-disposition", rule.ContentDisposition);
        foreach (var (name, value) in rule.Metadata) Add("meta-" + name, value);
        Add("acl", acl);
        Add("sse", encryption.Mode == EncryptionMode.Customer ? "customer:" + encryption.CustomerKeyMd5Base64 : encryption.Header);
        Add("sse-kms-key", encryption.KmsKeyId);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    /// <summary>
    /// Every header but Content-MD5, names in lowercase, in a fixed order: <c>content-type</c>, the rule's
    /// <c>cache-control</c>, <c>content-encoding</c>, <c>content-disposition</c>, <c>x-amz-storage-class</c>,
    /// <c>x-amz-acl</c>, the encryption headers (<see cref="EncryptionHeaders"/>), then user metadata as
    /// <c>x-amz-meta-NAME</c>: the fingerprint (<c>s3sync-md5</c>; for a multipart upload also rclone's
    /// <c>md5chksum</c>, which rclone reads on multipart objects only, so that <c>rclone check</c> can verify them; both
    /// only when the MD5 is known), the <see cref="PartSize"/> (multipart only), the <see cref="File"/> metadata, the
    /// <see cref="SettingsDigest"/> and the rule's metadata.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToHttpHeaders(bool multipart)
    {
        var headers = new List<KeyValuePair<string, string>>(16) { new("content-type", ContentType) };
        if (CacheControl is not null) headers.Add(new("cache-control", CacheControl));
        if (ContentEncoding is not null) headers.Add(new("content-encoding", ContentEncoding));
        if (ContentDisposition is not null) headers.Add(new("content-disposition", ContentDisposition));
        headers.Add(new("x-amz-storage-class", StorageClass));
        if (Acl is not null) headers.Add(new("x-amz-acl", Acl));
        headers.AddRange(EncryptionHeaders(Encryption));
        if (FingerprintMd5Hex is { } md5)
        {
            headers.Add(new(MetaPrefix + S3ObjectStore.FingerprintKey, md5));
            if (multipart && ETag.IsMd5Hex(md5))
                headers.Add(new(MetaPrefix + S3ObjectStore.RcloneMd5Key, Convert.ToBase64String(Convert.FromHexString(md5))));
        }
        if (multipart && PartSize > 0) headers.Add(new(MetaPrefix + PartSizeKey, PartSize.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (File is { } file) ObjectMetadata.AddTo(headers, file);
        if (SettingsDigest.Length > 0) headers.Add(new(MetaPrefix + SettingsKey, SettingsDigest));
        foreach (var (name, value) in Metadata) headers.Add(new(MetaPrefix + name, value));
        return headers;
    }

    /// <summary>The encryption headers of a write: SSE-S3/KMS on PutObject, CreateMultipartUpload and copies; SSE-C on
    /// those and on every UploadPart, HEAD and GET (<paramref name="customerOnly"/>: only the SSE-C ones, which those need).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> EncryptionHeaders(Encryption encryption, bool customerOnly = false)
    {
        if (encryption.Mode == EncryptionMode.Customer)
        {
            return
            [
                new("x-amz-server-side-encryption-customer-algorithm", "AES256"),
                new("x-amz-server-side-encryption-customer-key", encryption.CustomerKeyBase64),
                new("x-amz-server-side-encryption-customer-key-md5", encryption.CustomerKeyMd5Base64),
            ];
        }
        if (customerOnly || encryption.Header is not { } mode) return [];
        return encryption.KmsKeyId is { } key
            ? [new("x-amz-server-side-encryption", mode), new("x-amz-server-side-encryption-aws-kms-key-id", key)]
            : [new("x-amz-server-side-encryption", mode)];
    }
}
