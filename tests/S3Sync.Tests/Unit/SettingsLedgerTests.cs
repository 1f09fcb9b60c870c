using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.State;

namespace S3Sync.Tests.Unit;

/// <summary>When a sync compares every object's headers, ACL and encryption: only after the settings changed.</summary>
public sealed class SettingsLedgerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "s3sync-ledger-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static Site Site(string? acl = null, string? cacheControl = null) => new()
    {
        Name = "s", LocalPath = "/d", Bucket = "bucket-a", Prefix = "p", Acl = acl,
        Headers = cacheControl is null ? HeaderRules.None : new HeaderRules([new HeaderRule(PathFilter.Compile(@"\.html$"), new HeaderSet { CacheControl = cacheControl })]),
    };

    [Fact]
    public void Default_settings_without_a_record_need_no_check()
    {
        Assert.False(new SettingsLedger(_dir).NeedsCheck(Site()));
        Assert.False(Directory.Exists(_dir));
    }

    [Fact]
    public void New_settings_are_checked_once_then_not_until_they_change()
    {
        var ledger = new SettingsLedger(_dir);
        var site = Site(acl: "private", cacheControl: "max-age=60");
        Assert.True(ledger.NeedsCheck(site));

        Assert.True(ledger.Record(site));

        Assert.False(ledger.NeedsCheck(site));
        Assert.True(ledger.NeedsCheck(Site(acl: "private", cacheControl: "max-age=120")));
        Assert.True(ledger.NeedsCheck(Site(acl: "public-read", cacheControl: "max-age=60")));
        Assert.True(ledger.NeedsCheck(Site())); // back to the defaults: objects must lose the old headers
        Assert.False(ledger.NeedsCheck(site with { Name = "renamed", LocalPath = "/elsewhere" }));
        Assert.True(ledger.NeedsCheck(site with { Prefix = "other" }));
    }
}
