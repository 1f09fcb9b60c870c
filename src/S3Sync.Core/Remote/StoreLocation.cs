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

    public override string ToString() => Url;
}
