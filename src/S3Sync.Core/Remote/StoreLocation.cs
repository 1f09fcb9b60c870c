namespace S3Sync.Remote;

/// <summary>
/// Where a store is bound: a bucket and a prefix ("" for the bucket's root, otherwise ending in '/', as
/// <see cref="Config.Site.ListPrefix"/>). Every key a store takes or gives is relative to <see cref="Prefix"/>; the full
/// key is <see cref="Join"/>: the prefix and the key put together as they are, never resolved (a key "../x" or "/x"
/// stays under the prefix as "prefix/../x", "prefix//x", which S3 takes as names, not paths).
/// </summary>
public readonly record struct StoreLocation(string Bucket, string Prefix)
{
    /// <summary>The full key of <paramref name="key"/> (relative to <see cref="Prefix"/>).</summary>
    public string Join(string key) => Prefix + key;

    /// <summary>The place as an s3:// URL, for messages (<c>s3://bucket/prefix/</c>).</summary>
    public string Url => $"s3://{Bucket}/{Prefix}";

    /// <summary>The s3:// URL of one key.</summary>
    public string UrlOf(string key) => $"s3://{Bucket}/{Join(key)}";

    /// <summary>
    /// The place of a sibling store (<see cref="IObjectStore.At"/>): <paramref name="prefix"/> of the same bucket. It must
    /// be "" or end in '/': a prefix "site" would also hold the keys of "site-old/" and "sitex", and a sibling bound to
    /// it would list (and could delete) another prefix's objects.
    /// </summary>
    public StoreLocation Sibling(string prefix) =>
        prefix.Length == 0 || prefix.EndsWith('/')
            ? this with { Prefix = prefix }
            : throw new ArgumentException($"a store's prefix is empty or ends with '/': '{prefix}' would take in its neighbours' keys", nameof(prefix));

    public override string ToString() => Url;
}
