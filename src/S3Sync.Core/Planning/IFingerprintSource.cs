using S3Sync.Remote;

namespace S3Sync.Planning;

/// <summary>Reads the fingerprint s3sync stores with each upload (a HEAD).</summary>
public interface IFingerprintSource
{
    Task<ObjectHead?> HeadAsync(string relativeKey, CancellationToken cancellationToken);
}
