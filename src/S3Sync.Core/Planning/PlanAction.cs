
namespace S3Sync.Planning;

/// <summary>What the executor does for an entry. The plan is data: verify prints it, sync executes it.</summary>
/// <remarks>Restore adds <see cref="Download"/> (write the object to the file), <see cref="ApplyMetadata"/> (same bytes:
/// set the file's mode, owner and mtime from the object) and uses <see cref="Delete"/> for the local file.</remarks>
public enum PlanAction { None, Upload, ChangeStorageClass, ChangeMetadata, Delete, Download, ApplyMetadata }
