using Microsoft.Data.Sqlite;
using S3Sync.Hashing;
using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.State;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Unit;

/// <summary>
/// The hash cache's racy margin follows the clock and the file system: measured once per state folder, never below
/// what a file's own stamps show, 1 s where another machine's clock stamps the files.
/// </summary>
public sealed class RacyMarginTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "s3sync-racy-" + Guid.NewGuid().ToString("N")[..10]);

    public RacyMarginTests() => Directory.CreateDirectory(Path.Combine(_root, "data"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    private string StateDir => Path.Combine(_root, "state");

    /// <summary>Now plus a fixed offset: the moment a hash begins, relative to a file written just before.</summary>
    private sealed class OffsetClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow + offset;
    }

    [Theory]
    [InlineData(1_700_000_000_123_456_789L, 1_700_000_000_123_456_789L, 1L)]
    [InlineData(1_700_000_000_120_000_000L, 1_700_000_000_130_000_000L, 10_000_000L)]      // exFAT: 10 ms
    [InlineData(1_700_000_001_000_000_000L, 1_700_000_001_000_000_000L, 1_000_000_000L)]   // ext3, HFS+: 1 s
    [InlineData(1_700_000_000_000_000_000L, 1_700_000_002_000_000_000L, 2_000_000_000L)]   // FAT: 2 s
    [InlineData(1_700_000_000_000_000_000L, 1_700_000_000_000_000_001L, 1L)]               // one fine stamp is enough
    public void The_step_a_file_shows_is_the_coarsest_both_its_stamps_are_multiples_of(long mtime, long ctime, long step) =>
        Assert.Equal(step, RacyMargin.StepShown(mtime, ctime));

    [Theory]
    [InlineData(0x6969L, true)]        // NFS
    [InlineData(0xFE534D42L, true)]    // SMB2
    [InlineData(0x65735546L, true)]    // FUSE
    [InlineData(0x01021997L, true)]    // 9p
    [InlineData(-1L, true)]            // statfs failed: cannot tell
    [InlineData(0xEF53L, false)]       // ext4
    [InlineData(0x58465342L, false)]   // XFS
    [InlineData(0x01021994L, false)]   // tmpfs
    public void Network_and_fuse_file_systems_are_stamped_by_another_clock(long type, bool remote) =>
        Assert.Equal(remote, RacyMargin.IsRemote(type));

    [Fact]
    public void The_margin_is_measured_once_per_state_folder_and_remembered_there()
    {
        Directory.CreateDirectory(StateDir);
        var first = RacyMargin.ForStateFolder(StateDir);
        var file = Path.Combine(StateDir, RacyMargin.FileName);
        Assert.True(File.Exists(file));
        Assert.InRange(first.FineNs, RacyMargin.MinimumNs, 999_999_999); // below the old fixed second on this machine
        Assert.Empty(Directory.GetFiles(StateDir, ".racy-probe-*"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

        // A remembered value is used as it is (never below twice the coarse clock's resolution)...
        File.WriteAllText(file, "300000000\n");
        Assert.Equal(300_000_000, RacyMargin.ForStateFolder(StateDir).FineNs);
    }

    [Theory]
    [InlineData("nonsense\n")]
    [InlineData("0\n")]              // below the minimum
    [InlineData("-5\n")]
    [InlineData("99999999999\n")]    // above a second
    [InlineData("")]
    public void A_damaged_remembered_value_is_measured_again(string text)
    {
        Directory.CreateDirectory(StateDir);
        var file = Path.Combine(StateDir, RacyMargin.FileName);
        File.WriteAllText(file, text);
        var margin = RacyMargin.ForStateFolder(StateDir);
        Assert.InRange(margin.FineNs, RacyMargin.MinimumNs, 999_999_999);
        Assert.Equal(margin.FineNs, long.Parse(File.ReadAllText(file).Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void A_fifo_or_a_link_at_the_remembered_name_is_neither_read_nor_followed()
    {
        Directory.CreateDirectory(StateDir);
        var file = Path.Combine(StateDir, RacyMargin.FileName);
        var outside = Path.Combine(_root, "outside");
        File.WriteAllText(outside, "5000000\n");
        File.CreateSymbolicLink(file, outside);
        Assert.InRange(RacyMargin.ForStateFolder(StateDir).FineNs, RacyMargin.MinimumNs, 999_999_999);
        Assert.Equal("5000000\n", File.ReadAllText(outside)); // the link was replaced, its target left alone
        Assert.False(new FileInfo(file).LinkTarget is not null);

        File.Delete(file);
        using (var p = System.Diagnostics.Process.Start("mkfifo", [file])) p.WaitForExit(); // would block a plain open for reading
        Assert.InRange(RacyMargin.ForStateFolder(StateDir).FineNs, RacyMargin.MinimumNs, 999_999_999);
    }

    [Fact]
    public void A_device_not_yet_seen_through_a_path_keeps_the_old_second()
    {
        var margin = RacyMargin.WithFine(5_000_000);
        var path = Path.Combine(_root, "data", "f");
        File.WriteAllText(path, "x");
        var fingerprint = FileFingerprint.TryRead(path)!.Value;
        Assert.Equal(1_000_000_000, margin.Ns(fingerprint));
        margin.Learn(fingerprint.Device, path);
        Assert.Equal(5_000_000 + RacyMargin.StepShown(fingerprint.MtimeNs, fingerprint.CtimeNs), margin.Ns(fingerprint)); // /tmp is local
        Assert.Equal(1_000_000_000, RacyMargin.Fixed.Ns(fingerprint));
    }

    [Fact]
    public void Whole_second_stamps_need_two_seconds_whatever_the_clock()
    {
        var path = Path.Combine(_root, "data", "f");
        File.WriteAllText(path, "x");
        var real = FileFingerprint.TryRead(path)!.Value;
        var margin = RacyMargin.WithFine(5_000_000);
        margin.Learn(real.Device, path);
        var coarse = real with { MtimeNs = 1_700_000_000_000_000_000, CtimeNs = 1_700_000_000_000_000_000 };
        Assert.True(margin.IsRacy(coarse, coarse.CtimeNs + 1_500_000_000));   // within the 2 s a FAT stamp can hide
        Assert.True(margin.IsRacy(coarse, coarse.CtimeNs + 2_000_000_000));   // and the clock's lag on top
        Assert.False(margin.IsRacy(coarse, coarse.CtimeNs + 2_010_000_000));
        var fine = real with { MtimeNs = 1_700_000_000_000_000_001, CtimeNs = 1_700_000_000_000_000_001 };
        Assert.False(margin.IsRacy(fine, fine.CtimeNs + 100_000_000));          // 100 ms later: trusted
        Assert.True(margin.IsRacy(fine, fine.CtimeNs + 1_000_000));             // 1 ms later: within the tick
    }

    [Fact]
    public async Task A_file_hashed_100_ms_after_it_was_written_is_not_read_again_at_the_next_run()
    {
        // Given a file written just now, hashed by a run that began 100 ms later (the clock shifted by 100 ms)
        var path = Path.Combine(_root, "data", "fresh.bin");
        File.WriteAllBytes(path, new byte[4096]);
        var entry = new LocalEntry("fresh.bin", path, 4096, File.GetLastWriteTimeUtc(path));
        var reads = new CountingDigests();
        using (var cache = HashCache.Open(StateDir, w => Assert.Fail(w))!)
        using (var first = new CachedDigestSource(cache, "site", reads, time: new OffsetClock(TimeSpan.FromMilliseconds(100))))
            await first.GetAsync(entry, [], default);
        Assert.Equal(1, reads.Reads);

        // When the next run asks for it
        using (var cache = HashCache.Open(StateDir, w => Assert.Fail(w))!)
        using (var second = new CachedDigestSource(cache, "site", reads))
        {
            var digest = await second.GetAsync(entry, [], default);

            // Then the row answers: the fixed 1 s margin made this a second read of the file
            Assert.True(digest.FromCache);
        }
        Assert.Equal(1, reads.Reads);
    }

    [Fact]
    public async Task A_file_written_again_within_the_tick_of_its_hash_is_read_again()
    {
        // Given a file hashed by a run whose clock says the hash began at the very moment of the write
        var path = Path.Combine(_root, "data", "racy.bin");
        File.WriteAllBytes(path, new byte[4096]);
        var entry = new LocalEntry("racy.bin", path, 4096, File.GetLastWriteTimeUtc(path));
        var fingerprint = FileFingerprint.TryRead(path)!.Value;
        var reads = new CountingDigests();
        var at = DateTimeOffset.UnixEpoch.AddTicks(Math.Max(fingerprint.MtimeNs, fingerprint.CtimeNs) / 100);
        using (var cache = HashCache.Open(StateDir, w => Assert.Fail(w))!)
        using (var first = new CachedDigestSource(cache, "site", reads, time: new FixedClock(at)))
            await first.GetAsync(entry, [], default);

        // Then the next run does not trust the row
        using (var cache = HashCache.Open(StateDir, w => Assert.Fail(w))!)
        using (var second = new CachedDigestSource(cache, "site", reads))
            Assert.False((await second.GetAsync(entry, [], default)).FromCache);
        Assert.Equal(2, reads.Reads);
    }

    private sealed class FixedClock(DateTimeOffset at) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => at;
    }
}
