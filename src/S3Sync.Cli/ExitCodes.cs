using S3Sync.Execution;

namespace S3Sync.Cli;

/// <summary>The documented exit codes (README, "Exit codes"; docs/commands.md), and the one place a run's result
/// becomes one: the core returns statuses and knows no exit codes.</summary>
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

    /// <summary>The exit code of a sync or a restore (and their dry runs): that of the worst site status.</summary>
    public static int For(SiteStatus worst) => worst switch
    {
        SiteStatus.Done => Ok,
        SiteStatus.DeletesRefused => DeletesRefused,
        SiteStatus.Credentials => Credentials,
        _ => Failed,
    };

    /// <summary>The exit code of a verify: credentials first, then could not finish, then differences.</summary>
    public static int For(VerifyOutcome outcome) =>
        outcome.Credentials ? Credentials : !outcome.Complete ? Failed : outcome.Differences > 0 ? Differences : Ok;
}
