namespace S3Sync.State;

/// <summary>The state folder cannot be trusted (another user's, writable by others, a link at one of its names): the
/// run stops before anything is read from it or written to it. The message is one line naming the folder and a fix
/// that works. Commands exit 2 on it.</summary>
public sealed class StateFolderException(string message) : Exception(message);
