namespace S3Sync.Cli;

/// <summary>The documented exit codes (README, "Exit codes"; docs/commands.md).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>verify: differences found.</summary>
    public const int Differences = 1;
    public const int Usage = 2;
    /// <summary>Some files failed, or a walk or listing could not finish.</summary>
    public const int Failed = 3;
    /// <summary>A safety rule refused deletions.</summary>
    public const int DeletesRefused = 4;
    /// <summary>No credentials were found, or the server refused them (InvalidAccessKeyId, SignatureDoesNotMatch, an expired token).</summary>
    public const int Credentials = 5;
    public const int Interrupted = 130;
}
