namespace S3Sync.Remote;

/// <summary>A multipart upload left open on the server. <see cref="Key"/> is relative to the store's prefix.</summary>
public sealed record OpenUpload(string Key, string UploadId, DateTime InitiatedUtc);
