using System.Text.RegularExpressions;

namespace S3Sync.Config;

/// <summary>Defaults shared by the loader, the ad-hoc command line and the README.</summary>
public static class Defaults
{
    /// <summary>32, from measuring (bench/): on the local Ceph, W1 (10,000 small files) took a median of 12.8 s with 32
    /// workers against 16.5 s with the seed's 10 (more requests in flight hide each PUT's latency; more so against a
    /// remote S3). Memory does not grow with it: <see cref="UploadBufferBytes"/> bounds the file data held.</summary>
    public const int UploadWorkers = 32;

    /// <summary>The most requests in flight to one endpoint when <c>upload_workers</c> is not set: the adaptive limit
    /// starts at <see cref="UploadWorkers"/> and grows while the server keeps answering (s5cmd runs 256 workers).</summary>
    public const int ConcurrencyCeiling = 256;

    /// <summary>The most upload workers <c>upload_workers</c> and <c>--workers</c> accept: past this, threads and
    /// buffers cost memory for no speed (an unbounded --workers once grew to 19.6 GB).</summary>
    public const int MaxUploadWorkers = 1024;

    /// <summary>
    /// Seconds one S3 request may take (headers and whole body; a second more per MiB sent), the <c>--timeout</c> flag
    /// and <c>request_timeout</c>. 30: a request to the local Ceph takes milliseconds and to AWS well under a second,
    /// while a request and its retries (3 deadlines at most) then end within 90 s, so a server that stalls or never
    /// answers fails the run in well under the 2 minutes a cron operator should wait (docs/reliability.md).
    /// </summary>
    public const int RequestTimeoutSeconds = 30;

    /// <summary>The longest <c>request_timeout</c> accepted (an hour).</summary>
    public const int MaxRequestTimeoutSeconds = 3600;

    /// <summary>File data the uploader's workers may hold in buffers at once (ten 8 MiB parts).</summary>
    public const long UploadBufferBytes = 80L * 1024 * 1024;
    public const int WatchIntervalMs = 1000;
    public const int S3OpsRetries = 5;
    public const int RescanIntervalSeconds = 3600;
    public const string StorageClass = "STANDARD";
    public const string DefaultRegion = "us-east-1";
}
