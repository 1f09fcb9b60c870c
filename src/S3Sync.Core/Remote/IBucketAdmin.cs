namespace S3Sync.Remote;

/// <summary>Bucket administration (<see cref="IObjectStore.Buckets"/>), for the bucket the store is bound to.</summary>
public interface IBucketAdmin
{
    /// <summary>Creates the bucket when it does not exist (<c>create_bucket</c>); true when it was created.
    /// <paramref name="region"/> is its location on AWS (null: the endpoint's default; give none for an S3-compatible server).</summary>
    Task<bool> CreateBucketIfMissingAsync(string? region, CancellationToken cancellationToken);
}
