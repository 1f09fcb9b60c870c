namespace S3Sync.Remote;

/// <summary>How a request that held a slot of <see cref="AdaptiveConcurrency"/> ended.</summary>
public enum RequestOutcome
{
    /// <summary>An answer that is not throttling (an error answer too: the server had room for it).</summary>
    Answered,

    /// <summary>503 SlowDown, 429, Throttling, or a timeout: the server (or the path to it) has no room.</summary>
    Throttled,

    /// <summary>The request ended without telling anything about the server (cancelled, a local error).</summary>
    Unknown,
}
