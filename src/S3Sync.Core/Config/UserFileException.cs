namespace S3Sync.Config;

/// <summary>A file a user named cannot be used (<see cref="UserFile"/>): the message says why, without the path.</summary>
public sealed class UserFileException : Exception
{
    public UserFileException() { }

    public UserFileException(string message) : base(message) { }

    public UserFileException(string message, Exception inner) : base(message, inner) { }
}
