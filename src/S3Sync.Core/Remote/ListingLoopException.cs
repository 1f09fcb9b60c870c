namespace S3Sync.Remote;

/// <summary>
/// A listing that would never end: a truncated page without a continuation token or marker, a token or marker the
/// server already sent, or empty truncated pages that make no progress. The site fails with this message rather
/// than loop forever.
/// </summary>
public sealed class ListingLoopException(string message) : IOException(message);
