using System.Text.RegularExpressions;

namespace S3Sync.Config;

/// <summary>Credentials given in the configuration file. <see cref="ToString"/> never shows the secret.</summary>
public sealed record StaticCredentials(string AccessKey, string SecretKey)
{
    public override string ToString() => $"{AccessKey[..Math.Min(4, AccessKey.Length)]}****";

    /// <summary>Records print every property; this one must not.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("AccessKey = ").Append(ToString());
        return true;
    }
}
