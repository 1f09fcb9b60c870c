using S3Sync.Execution;
using S3Sync.Watching;

namespace S3Sync.Tests.Unit;

/// <summary>The per-key schedule of watch, on a clock the test moves: events in, commands out, no file system, no sleeps.</summary>
public sealed class KeyScheduleTests
{
    private sealed class FakeClock : TimeProvider
    {
        public long Now { get; set; } = 1_000_000;
        public override long TimestampFrequency => 1000;
        public override long GetTimestamp() => Now;
        public void Advance(TimeSpan by) => Now += (long)by.TotalMilliseconds;
    }

    private readonly FakeClock _clock = new();

    private KeySchedule Schedule(int watchIntervalMs = 1000, bool retire = true, int maxRetrySeconds = 300, int rescanSeconds = 0) =>
        new(_clock, watchIntervalMs, retire, TimeSpan.FromSeconds(maxRetrySeconds), rescanSeconds);

    private static List<KeyCommand> Take(KeySchedule s)
    {
        var list = new List<KeyCommand>();
        while (s.TryTake(out var c)) list.Add(c);
        return list;
    }

    private static string Show(IEnumerable<KeyCommand> commands) => string.Join(" ", commands.Select(c => $"{c.Kind}:{c.Key}"));

    [Fact]
    public void Writes_then_a_close_give_one_upload()
    {
        var s = Schedule();
        for (var i = 0; i < 100; i++) s.Changed("a.log", _clock.Now, closed: false);
        Assert.Empty(Take(s));
        s.Changed("a.log", _clock.Now, closed: true);
        Assert.Equal("Upload:a.log", Show(Take(s)));

        // and nothing more once it ended: the quiet deadline of the writes is gone with it
        s.UploadEnded("a.log", UploadOutcome.Uploaded);
        _clock.Advance(TimeSpan.FromSeconds(10));
        s.Tick();
        Assert.Empty(Take(s));
        Assert.Equal(0, s.Tracked);
    }

    [Fact]
    public void Writes_without_a_close_upload_once_quiet_for_watch_interval()
    {
        var s = Schedule(watchIntervalMs: 1000);
        s.Changed("open.log", _clock.Now, closed: false);
        _clock.Advance(TimeSpan.FromMilliseconds(900));
        s.Changed("open.log", _clock.Now, closed: false); // still writing: the quiet time starts again
        _clock.Advance(TimeSpan.FromMilliseconds(900));
        s.Tick();
        Assert.Empty(Take(s));
        Assert.Equal(_clock.Now + 100, s.NextDeadline);
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        s.Tick();
        Assert.Equal("Upload:open.log", Show(Take(s)));
    }

    [Fact]
    public void A_change_while_the_upload_is_queued_needs_no_second_upload()
    {
        var s = Schedule();
        s.Changed("a", _clock.Now, closed: true);
        Assert.Single(Take(s));
        s.Changed("a", _clock.Now, closed: true); // the job has not started: it reads the new content
        Assert.Empty(Take(s));
        s.UploadEnded("a", UploadOutcome.Uploaded);
        Assert.Empty(Take(s));
    }

    [Fact]
    public void Changes_while_the_upload_runs_give_exactly_one_more_after_it()
    {
        var s = Schedule();
        s.Changed("a", _clock.Now, closed: true);
        var first = Assert.Single(Take(s));
        first.Ticket!.Start();
        for (var i = 0; i < 50; i++) s.Changed("a", _clock.Now, closed: i % 2 == 1); // the last one closes
        Assert.Empty(Take(s)); // never two uploads of one key at once

        s.UploadEnded("a", UploadOutcome.Uploaded);
        var again = Assert.Single(Take(s));
        Assert.Equal(KeyCommandKind.Upload, again.Kind);
        s.UploadEnded("a", UploadOutcome.Uploaded);
        Assert.Empty(Take(s));
    }

    [Fact]
    public void An_unclosed_change_during_an_upload_waits_for_its_quiet_time_after_it()
    {
        var s = Schedule(watchIntervalMs: 2000);
        s.Changed("a", _clock.Now, closed: true);
        Take(s)[0].Ticket!.Start();
        s.Changed("a", _clock.Now, closed: false);
        _clock.Advance(TimeSpan.FromMilliseconds(500));
        s.UploadEnded("a", UploadOutcome.Uploaded);
        Assert.Empty(Take(s));
        _clock.Advance(TimeSpan.FromMilliseconds(1500));
        s.Tick();
        Assert.Equal("Upload:a", Show(Take(s)));
    }

    [Fact]
    public void A_delete_during_an_upload_runs_after_it_and_drops_the_upload_still_wanted()
    {
        var s = Schedule(retire: true);
        s.Changed("a", _clock.Now, closed: true);
        Take(s)[0].Ticket!.Start();
        s.Changed("a", _clock.Now, closed: true); // wants one more upload
        s.Removed("a");
        Assert.Empty(Take(s)); // not while the upload runs

        s.UploadEnded("a", UploadOutcome.Uploaded);
        Assert.Equal("Delete:a", Show(Take(s)));
        s.DeletesEnded(["a"]);
        Assert.Empty(Take(s));
        Assert.Equal(0, s.Tracked);
    }

    [Fact]
    public void A_file_written_again_during_its_delete_is_uploaded_after_the_delete()
    {
        var s = Schedule(retire: true);
        s.Removed("a");
        Assert.Equal("Delete:a", Show(Take(s)));
        s.Changed("a", _clock.Now, closed: true);
        Assert.Empty(Take(s));
        s.DeletesEnded(["a"]);
        Assert.Equal("Upload:a", Show(Take(s)));
    }

    [Theory]
    [InlineData(true, "Delete:a")]
    [InlineData(false, "")]
    public void A_removal_deletes_only_with_retire_deleted(bool retire, string expected)
    {
        var s = Schedule(retire: retire);
        s.Changed("a", _clock.Now, closed: false); // pending upload, dropped by the removal
        s.Removed("a");
        Assert.Equal(expected, Show(Take(s)));
        _clock.Advance(TimeSpan.FromMinutes(1));
        s.Tick();
        Assert.Empty(Take(s));
    }

    [Fact]
    public void Retries_back_off_doubling_and_cap()
    {
        var s = Schedule(maxRetrySeconds: 8);
        s.Changed("a", _clock.Now, closed: true);
        Take(s)[0].Ticket!.Start();
        var waits = new List<double>();
        for (var i = 0; i < 6; i++)
        {
            var end = s.UploadEnded("a", UploadOutcome.Failed);
            waits.Add(end.RetryIn!.Value.TotalSeconds);
            _clock.Advance(end.RetryIn.Value - TimeSpan.FromMilliseconds(1));
            s.Tick();
            Assert.Empty(Take(s)); // not a moment early
            _clock.Advance(TimeSpan.FromMilliseconds(1));
            s.Tick();
            Take(s)[0].Ticket!.Start();
        }
        Assert.Equal([1, 2, 4, 8, 8, 8], waits);

        // a success resets the back-off
        s.UploadEnded("a", UploadOutcome.Uploaded);
        s.Changed("a", _clock.Now, closed: true);
        Take(s)[0].Ticket!.Start();
        Assert.Equal(1, s.UploadEnded("a", UploadOutcome.Failed).RetryIn!.Value.TotalSeconds);
    }

    [Fact]
    public void A_change_during_a_failed_upload_is_tried_at_once_not_after_the_back_off()
    {
        var s = Schedule();
        s.Changed("a", _clock.Now, closed: true);
        Take(s)[0].Ticket!.Start();
        s.Changed("a", _clock.Now, closed: true);
        s.UploadEnded("a", UploadOutcome.Failed);
        Assert.Equal("Upload:a", Show(Take(s)));
    }

    [Fact]
    public void A_removed_folder_drops_its_pending_keys_and_gives_one_folder_delete()
    {
        var s = Schedule(retire: true);
        s.Changed("dir/a", _clock.Now, closed: false);
        s.Changed("dir/b", _clock.Now, closed: false);
        s.Changed("dir-x", _clock.Now, closed: false);
        s.Changed("dir/sub/c", _clock.Now, closed: true);
        Take(s)[0].Ticket!.Start(); // dir/sub/c uploads

        s.FolderRemoved("dir");
        Assert.Equal("DeleteFolder:dir/", Show(Take(s)));
        _clock.Advance(TimeSpan.FromSeconds(5));
        s.Tick();
        Assert.Equal("Upload:dir-x", Show(Take(s))); // outside the folder: still uploaded

        // the upload that ran below the folder is followed by its key's delete, so it cannot outlive the folder
        s.UploadEnded("dir/sub/c", UploadOutcome.Uploaded);
        Assert.Equal("Delete:dir/sub/c", Show(Take(s)));
    }

    [Fact]
    public void A_removed_folder_without_retire_deleted_deletes_nothing()
    {
        var s = Schedule(retire: false);
        s.Changed("dir/a", _clock.Now, closed: false);
        s.FolderRemoved("dir");
        _clock.Advance(TimeSpan.FromSeconds(5));
        s.Tick();
        Assert.Empty(Take(s));
    }

    [Fact]
    public void Full_syncs_one_at_a_time_a_second_asked_for_follows_the_running_one()
    {
        var s = Schedule(rescanSeconds: 3600);
        s.FullSyncWanted("initial sync");
        Assert.Equal("FullSync:initial sync", Show(Take(s)));
        s.FullSyncWanted("events were lost");
        s.FullSyncWanted("events were lost");
        Assert.Empty(Take(s));
        s.FullSyncEnded(done: true);
        Assert.Equal("FullSync:events were lost", Show(Take(s)));
        s.FullSyncEnded(done: true);
        Assert.Empty(Take(s));

        // then every rescan_interval
        _clock.Advance(TimeSpan.FromSeconds(3599));
        s.Tick();
        Assert.Empty(Take(s));
        _clock.Advance(TimeSpan.FromSeconds(1));
        s.Tick();
        Assert.Equal("FullSync:rescan_interval", Show(Take(s)));
    }

    [Fact]
    public void A_failed_full_sync_is_tried_again_after_30_s()
    {
        var s = Schedule(rescanSeconds: 0);
        s.FullSyncWanted("initial sync");
        Take(s);
        s.FullSyncEnded(done: false);
        Assert.Equal(_clock.Now + 30_000, s.NextDeadline);
        _clock.Advance(TimeSpan.FromSeconds(30));
        s.Tick();
        Assert.Equal("FullSync:trying the failed full sync again", Show(Take(s)));
        s.FullSyncEnded(done: true);
        Assert.Equal(long.MaxValue, s.NextDeadline); // rescan_interval 0: no more
    }

    [Fact]
    public void A_full_sync_that_keeps_failing_is_tried_less_and_less_often_and_requests_meanwhile_wait_for_the_try()
    {
        // Issue #23, item 5: a request (the watch limit, lost events) after a failed full sync started the next at once:
        // 10,206 loops in 20 s without credentials.
        var s = Schedule(rescanSeconds: 0);
        s.FullSyncWanted("initial sync");
        Take(s);
        s.FullSyncEnded(done: false); // no credentials, say
        var started = new List<long>();
        var begin = _clock.Now;
        for (var ms = 0; ms < 30 * 60 * 1000; ms += 500)
        {
            s.FullSyncWanted("watch limit reached"); // asked for all the time
            foreach (var c in Take(s))
            {
                Assert.Equal(KeyCommandKind.FullSync, c.Kind);
                started.Add((_clock.Now - begin) / 1000);
                s.FullSyncEnded(done: false);
            }
            _clock.Advance(TimeSpan.FromMilliseconds(500));
            s.Tick();
        }
        // tries after 30, 60, 120, 240 s, then every 300 s: 30 + 90 + 210 + 450 + 750 ...
        Assert.Equal([30, 90, 210, 450, 750, 1050], started.Take(6));
        Assert.True(started.Count < 10, string.Join(",", started));

        // a success starts over: the request after it runs at once, and the next failure waits 30 s again
        _clock.Advance(TimeSpan.FromSeconds(300));
        s.Tick();
        Assert.Equal("FullSync:watch limit reached", Show(Take(s))); // the try carries the request's reason
        s.FullSyncEnded(done: true);
        s.FullSyncWanted("events were lost");
        Assert.Equal("FullSync:events were lost", Show(Take(s)));
        s.FullSyncEnded(done: false);
        Assert.Equal(TimeSpan.FromSeconds(30), s.FullSyncRetryIn);
    }

    [Fact]
    public void A_key_a_full_sync_failed_to_upload_is_retried_after_a_second()
    {
        var s = Schedule();
        s.RetryLater("a");
        Assert.Empty(Take(s));
        _clock.Advance(TimeSpan.FromSeconds(1));
        s.Tick();
        Assert.Equal("Upload:a", Show(Take(s)));
    }

    [Fact]
    public void The_latency_of_an_upload_is_measured_from_the_first_change_it_carries()
    {
        var s = Schedule();
        var first = _clock.Now;
        s.Changed("a", first, closed: false);
        _clock.Advance(TimeSpan.FromMilliseconds(300));
        s.Changed("a", _clock.Now, closed: true);
        Take(s)[0].Ticket!.Start();
        var second = _clock.Now + 10;
        s.Changed("a", second, closed: true);
        Assert.Equal(first, s.UploadEnded("a", UploadOutcome.Uploaded).FirstChange);
        Take(s)[0].Ticket!.Start();
        Assert.Equal(second, s.UploadEnded("a", UploadOutcome.Uploaded).FirstChange);
    }
}
