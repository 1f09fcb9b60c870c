using System.Text;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>max_delete's percentage counts the objects the site manages: excluded keys and folder markers under the
/// prefix are not the site's, so they cannot dilute the limit.</summary>
[Collection("s3")]
public sealed class DeleteBaseTests(S3ServerFixture server)
{
    [Fact]
    public async Task Excluded_objects_and_folder_markers_do_not_count_toward_the_percentage()
    {
        // Given 30 managed files, and under the same prefix 100 excluded *.log objects and 5 folder markers
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 30; i++) s.Write($"f/{i:D3}.txt", $"file {i}");
        s.SiteConfig("retire_deleted: true\nexclusions: ['\\.log$']");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        for (var i = 0; i < 100; i++) await server.PutAsync(s.Bucket, $"logs/{i:D3}.log", Encoding.UTF8.GetBytes("log"));
        for (var i = 0; i < 5; i++) await server.PutAsync(s.Bucket, $"marker{i}/", []);

        // When 29 of the 30 files are deleted locally and it syncs with the default limit (50 %, at least 20)
        for (var i = 0; i < 29; i++) File.Delete(Path.Combine(s.Local, $"f/{i:D3}.txt"));
        var run = await s.SyncAsync();

        // Then the run is refused: 29 of 30 managed objects, not 29 of 135
        Assert.True(run.ExitCode == 4, run.ToString());
        Assert.Contains("would delete 29 of 30 objects", run.Output);
        Assert.Equal(135, (await s.KeysAsync()).Count);
    }
}
