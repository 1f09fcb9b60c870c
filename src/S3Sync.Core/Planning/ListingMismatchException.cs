namespace S3Sync.Planning;

/// <summary>
/// A listing split by folder (<see cref="RangeListing"/>) that cannot be the one continuation chain's: a folder of a
/// level that lists no key. The site fails with this message rather than hand the merge a stream with keys missing.
/// </summary>
public sealed class ListingMismatchException(string message) : IOException(message);
