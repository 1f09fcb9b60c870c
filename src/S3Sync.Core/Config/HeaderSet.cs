namespace S3Sync.Config;

/// <summary>
/// The headers a <c>headers</c> rule gives the objects it matches. A null field is not set by the rule (the content type
/// then comes from the extension table). <see cref="Metadata"/> holds user metadata names without <c>x-amz-meta-</c>,
/// lowercase, sorted.
/// </summary>
public sealed record HeaderSet
{
    public static readonly HeaderSet Empty = new();

    public string? ContentType { get; init; }
    public string? CacheControl { get; init; }
    public string? ContentEncoding { get; init; }
    public string? ContentDisposition { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    public bool IsEmpty => ContentType is null && CacheControl is null && ContentEncoding is null && ContentDisposition is null && Metadata.Count == 0;

    /// <summary>This set with every field <paramref name="over"/> sets replaced by its value (flags over a rule).</summary>
    public HeaderSet With(HeaderSet over)
    {
        if (over.IsEmpty) return this;
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in Metadata) metadata[k] = v;
        foreach (var (k, v) in over.Metadata) metadata[k] = v;
        return new HeaderSet
        {
            ContentType = over.ContentType ?? ContentType,
            CacheControl = over.CacheControl ?? CacheControl,
            ContentEncoding = over.ContentEncoding ?? ContentEncoding,
            ContentDisposition = over.ContentDisposition ?? ContentDisposition,
            Metadata = metadata,
        };
    }

    public bool Equals(HeaderSet? other) =>
        other is not null && ContentType == other.ContentType && CacheControl == other.CacheControl && ContentEncoding == other.ContentEncoding
        && ContentDisposition == other.ContentDisposition && Metadata.Count == other.Metadata.Count
        && Metadata.All(p => other.Metadata.TryGetValue(p.Key, out var v) && v == p.Value);

    public override int GetHashCode() => HashCode.Combine(ContentType, CacheControl, ContentEncoding, ContentDisposition, Metadata.Count);
}
