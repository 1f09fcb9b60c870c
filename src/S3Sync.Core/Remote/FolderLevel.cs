namespace S3Sync.Remote;

/// <summary>One level of a listing with the delimiter '/': the objects directly under the folder listed and its folders ("name/"), each relative to that folder.</summary>
public sealed record FolderLevel(IReadOnlyList<RemoteObject> Objects, IReadOnlyList<string> Folders);
