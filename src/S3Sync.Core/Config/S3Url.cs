namespace S3Sync.Config;

/// <summary>
/// <c>s3://BUCKET[/PREFIX]</c>, the destination of the ad-hoc command line. Only the shape is checked here;
/// the bucket name and prefix are then checked by <see cref="ConfigLoader.Resolve"/> like any configured site.
/// </summary>
public readonly record struct S3Url(string Bucket, string Prefix)
{
    public const string Scheme = "s3://";

    public static bool TryParse(string text, out S3Url url, out string error)
    {
        url = default;
        error = "";
        if (!text.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            error = $"'{text}' is not an s3://BUCKET[/PREFIX] URL";
            return false;
        }
        var rest = text[Scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        if (bucket.Length == 0)
        {
            error = $"'{text}' names no bucket; expected s3://BUCKET[/PREFIX]";
            return false;
        }
        url = new S3Url(bucket, slash < 0 ? "" : rest[(slash + 1)..]);
        return true;
    }

    public override string ToString() => Prefix.Length == 0 ? $"{Scheme}{Bucket}" : $"{Scheme}{Bucket}/{Prefix}";
}
