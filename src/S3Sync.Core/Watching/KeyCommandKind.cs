
namespace S3Sync.Watching;

/// <summary>What the <see cref="KeySchedule"/> asks its shell to do.</summary>
public enum KeyCommandKind { Upload, Delete, DeleteFolder, FullSync }
