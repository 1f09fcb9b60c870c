using S3Sync.Local;

namespace S3Sync.Planning;

/// <summary>A file's fingerprint and the time (Unix ns) just before a read of it began.</summary>
public sealed record ReadStamp(FileFingerprint Fingerprint, long StartedNs);
