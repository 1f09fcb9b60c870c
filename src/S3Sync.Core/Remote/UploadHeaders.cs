using System.Security.Cryptography;
using System.Text;
using S3Sync.Config;

namespace S3Sync.Remote;

/// <summary>
/// What a single PUT, a multipart upload or an in-place copy carries besides the body: the one place that turns a site's
/// settings into headers and metadata, for both the SDK path (<see cref="S3ObjectStore"/>) and the signed path
/// (<see cref="SignedPut"/>), which read <see cref="Wire"/> so the two cannot drift.
/// </summary>
public sealed record UploadHeaders(string StorageClass, string ContentType, string FingerprintMd5Hex)
{
    /// <summary>User metadata holding <see cref="SettingsDigest"/>: what the site's rules, ACL and encryption gave the
    /// object when it was written, so a change of them is found by comparing one value (see <see cref="SettingsDigest"/>).</summary>
    public const string SettingsKey = "s3sync-hdr";

    private static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>();

    public string? CacheControl { get; init; }
    public string? ContentEncoding { get; init; }
    public string? ContentDisposition { get; init; }

    /// <summary>The canned ACL (<c>x-amz-acl</c>), or null for none.</summary>
    public string? Acl { get; init; }
    public Encryption Encryption { get; init; } = Encryption.None;

    /// <summary>User metadata besides s3sync's own (from <c>headers</c> rules), names without <c>x-amz-meta-</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = NoMetadata;

    /// <summary>A multipart upload: it also carries the MD5 under rclone's name (rclone reads it on multipart objects only).</summary>
    public bool Multipart { get; init; }

    /// <summary>
    /// A short digest of the settings that shaped the object: the <c>headers</c> rule's fields (not the content type the
    /// extension table gives, so a newer table does not rewrite every object), the ACL and the encryption (mode, KMS key,
    /// the SSE-C key's MD5). Empty when all are defaults, and then not stored: an object without the key matches.
    /// </summary>
    public string SettingsDigest { get; init; } = "";

    /// <summary>The headers of an upload of <paramref name="relativePath"/> to <paramref name="site"/>.</summary>
    public static UploadHeaders For(Site site, string relativePath, string fingerprintMd5Hex, bool multipart = false)
    {
        var rule = site.Headers.For(relativePath);
        return new UploadHeaders(site.StorageClass, rule.ContentType ?? Execution.ContentTypes.For(relativePath), fingerprintMd5Hex)
        {
            CacheControl = rule.CacheControl,
            ContentEncoding = rule.ContentEncoding,
            ContentDisposition = rule.ContentDisposition,
            Acl = site.Acl,
            Encryption = site.Encryption,
            Metadata = rule.Metadata,
            Multipart = multipart,
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

    /// <summary>Every user metadata entry the object gets, names without <c>x-amz-meta-</c>.</summary>
    public IEnumerable<KeyValuePair<string, string>> AllMetadata()
    {
        yield return new(S3ObjectStore.FingerprintKey, FingerprintMd5Hex);
        if (Multipart && Hashing.ETag.IsMd5Hex(FingerprintMd5Hex))
            yield return new(S3ObjectStore.RcloneMd5Key, Convert.ToBase64String(Convert.FromHexString(FingerprintMd5Hex)));
        if (SettingsDigest.Length > 0) yield return new(SettingsKey, SettingsDigest);
        foreach (var pair in Metadata) yield return pair;
    }

    /// <summary>
    /// The request headers of a PUT or CreateMultipartUpload (and of a copy that replaces the metadata), lowercase
    /// names, as the signed path sends and signs them; the SDK path sets the same values through the request objects.
    /// </summary>
    public IEnumerable<(string Name, string Value)> Wire()
    {
        yield return ("content-type", ContentType);
        if (CacheControl is not null) yield return ("cache-control", CacheControl);
        if (ContentEncoding is not null) yield return ("content-encoding", ContentEncoding);
        if (ContentDisposition is not null) yield return ("content-disposition", ContentDisposition);
        yield return ("x-amz-storage-class", StorageClass);
        if (Acl is not null) yield return ("x-amz-acl", Acl);
        foreach (var header in EncryptionHeaders(Encryption)) yield return header;
        foreach (var (name, value) in AllMetadata()) yield return ("x-amz-meta-" + name, value);
    }

    /// <summary>The encryption headers of a write: SSE-S3/KMS on PutObject and CreateMultipartUpload, SSE-C on those,
    /// on every UploadPart, HEAD and GET (<paramref name="customerOnly"/>: only the SSE-C ones, which those need).</summary>
    public static IEnumerable<(string Name, string Value)> EncryptionHeaders(Encryption encryption, bool customerOnly = false)
    {
        if (encryption.Mode == EncryptionMode.Customer)
        {
            yield return ("x-amz-server-side-encryption-customer-algorithm", "AES256");
            yield return ("x-amz-server-side-encryption-customer-key", encryption.CustomerKeyBase64);
            yield return ("x-amz-server-side-encryption-customer-key-md5", encryption.CustomerKeyMd5Base64);
        }
        else if (!customerOnly && encryption.Header is { } mode)
        {
            yield return ("x-amz-server-side-encryption", mode);
            if (encryption.KmsKeyId is { } key) yield return ("x-amz-server-side-encryption-aws-kms-key-id", key);
        }
    }
}
