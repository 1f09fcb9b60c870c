using System.Security.Cryptography;
using System.Text;
using S3Sync.Config;
using S3Sync.Remote;

namespace S3Sync.State;

/// <summary>
/// Remembers, per site, the upload settings (<c>headers</c> rules, <c>acl</c>, encryption) that the last complete sync
/// brought every object in line with: one small file per site under <c>state_dir/settings/</c>. The listing cannot show
/// an object's headers, so a sync reads each object's (HEAD) only when the settings differ from the recorded ones; the
/// no-op path stays one listing. Each object carries its own share of the settings as
/// <see cref="UploadHeaders.SettingsKey"/>, which that check compares. No record and default settings: nothing to check.
/// </summary>
public sealed class SettingsLedger(string directory)
{
    private string PathFor(Site site)
    {
        var identity = $"{site.Endpoint}\n{site.Bucket}\n{site.Prefix}";
        return Path.Combine(directory, "settings", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..24]);
    }

    /// <summary>A digest of the site's upload settings; empty for the defaults (no rules, no ACL, no encryption).</summary>
    public static string DigestOf(Site site)
    {
        var text = new StringBuilder();
        foreach (var rule in site.Headers.Rules)
            text.Append("rule ").Append(rule.Match).Append('\n').Append(UploadHeaders.DigestOf(rule.Headers, null, Encryption.None)).Append('\n');
        var rest = UploadHeaders.DigestOf(site.Headers.Overrides, site.Acl, site.Encryption);
        if (text.Length == 0 && rest.Length == 0) return "";
        text.Append("rest ").Append(rest);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32];
    }

    /// <summary>True when this sync must compare every object's settings (HEAD): they changed since the last record.</summary>
    public bool NeedsCheck(Site site)
    {
        var current = DigestOf(site);
        var recorded = StateFolder.ReadText(PathFor(site))?.Trim();
        return recorded is null ? current.Length > 0 : recorded != current;
    }

    /// <summary>Records that every object now matches the site's settings. False when the state folder cannot be written
    /// (the next sync then checks again: slower, never wrong).</summary>
    public bool Record(Site site)
    {
        var path = PathFor(site);
        try
        {
            StateFolder.WriteText(path, DigestOf(site) + "\n");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
