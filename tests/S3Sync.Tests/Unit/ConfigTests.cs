using S3Sync.Config;

namespace S3Sync.Tests.Unit;

/// <summary>Every configuration error the loader knows, each with the line and key it must name.</summary>
public class ConfigTests
{
    private const string Valid = """
        sites:
        - local_path: /data/www
          bucket: my-bucket
        """;

    public static TheoryData<string, string, string> Errors => new()
    {
        // yaml, expected "line:col: key", expected message part
        { "sites:\n- local_path: /d\n  bucket: b-1\n  storage_clas: STANDARD\n", "4:3: sites[0].storage_clas", "unknown key (did you mean 'storage_class'?)" },
        { "upload_worker: 3\nsites:\n- local_path: /d\n  bucket: b-1\n", "1:1: upload_worker", "did you mean 'upload_workers'?" },
        { "upload_workers: ten\nsites:\n- local_path: /d\n  bucket: b-1\n", "1:17: upload_workers", "expected a whole number, got 'ten'" },
        { "upload_workers: 0\nsites:\n- local_path: /d\n  bucket: b-1\n", "1:1: upload_workers", "must be at least 1" },
        { "sites:\n- local_path: /d\n  bucket: b-1\n  retire_deleted: maybe\n", "4:19: sites[0].retire_deleted", "expected true or false" },
        { "sites:\n- bucket: b-1\n", "2:3: sites[0].local_path", "missing" },
        { "sites:\n- local_path: relative/dir\n  bucket: b-1\n", "2:3: sites[0].local_path", "is relative" },
        { "sites:\n- local_path: /d\n", "2:3: sites[0].bucket", "missing" },
        { "sites:\n- local_path: /d\n  bucket: Bad_Bucket!\n", "3:3: sites[0].bucket", "not a valid bucket name" },
        { "sites:\n- local_path: /d\n  bucket: b-1\n  exclusions: ['(unclosed']\n", "4:16: sites[0].exclusions[0]", "invalid regular expression '(unclosed'" },
        { "sites:\n- local_path: /d\n  bucket: b-1\n  storage_class: STANDRD_IA\n", "4:3: sites[0].storage_class", "did you mean 'STANDARD_IA'?" },
        { "loglevel: verbose\nsites:\n- local_path: /d\n  bucket: b-1\n", "1:1: loglevel", "unknown log level 'verbose'" },
        { "endpoint: ftp://x\nsites:\n- local_path: /d\n  bucket: b-1\n", "1:1: endpoint", "is not an http:// or https:// URL" },
        { "sites:\n- local_path: /a\n  bucket: b-1\n  retire_deleted: true\n- local_path: /b\n  bucket: b-1\n  bucket_path: x\n", "7:3: sites[1].bucket_path", "overlap and one has retire_deleted" },
        { "sites:\n- local_path: /a\n  bucket: b-1\n  bucket_path: a\n- local_path: /b\n  bucket: b-1\n  bucket_path: a/\n", "7:3: sites[1].bucket_path", "both sync to" },
        { "sites: []\n", "1:1: sites", "the list is empty" },
        { "sites:\n- local_path: /d\n  bucket: b-1\n  access_key: AK\n", "4:3: sites[0].access_key", "give both or neither" },
        { "sites: [\n", "", "invalid YAML" },
        { "- just\n- a list\n", "1:1", "the top level must be a mapping" },
        { "", "", "the file is empty" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Reports_each_error_with_file_line_and_key(string yaml, string where, string message)
    {
        var e = Assert.Throws<ConfigException>(() => Load(yaml));
        var line = Assert.Single(e.Errors, x => x.ToString().Contains(message, StringComparison.Ordinal)).ToString();
        Assert.StartsWith("test.yml" + (where.Length > 0 ? ":" + where : ""), line);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public void Fills_in_the_defaults()
    {
        var config = Load(Valid);
        Assert.Equal(32, config.UploadWorkers); // the seed's 10 is valid when set; 32 measured faster (bench/)
        Assert.Equal(0, config.UploadQueueBuffer);
        Assert.Equal(1000, config.WatchInterval);
        Assert.Equal(LogVerbosity.Info, config.LogLevel);
        var site = Assert.Single(config.Sites);
        Assert.Equal("my-bucket", site.Name);
        Assert.Equal("STANDARD", site.StorageClass);
        Assert.False(site.RetireDeleted);
        Assert.Equal("", site.Prefix);
        Assert.Null(site.Credentials);
    }

    [Fact]
    public void Reads_every_key_of_the_seed_example()
    {
        var config = Load("""
            access_key: GLOBALKEY
            secret_access_key: globalsecret
            aws_region: eu-west-1
            loglevel: debug
            upload_queue_buffer: 5
            upload_workers: 4
            watch_interval: 500
            s3_ops_retries: 7
            sites:
            - local_path: /local/path1
              bucket: backup-bucket-path1
              bucket_region: us-east-1
              storage_class: STANDARD_IA
              access_key: AKIAI44QH8DHBEXAMPLE
              secret_access_key: je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY
              exclusions:
                - .[Dd][Ss]_[Ss]tore
                - .[Aa]pple[Dd]ouble
            - local_path: /local/path2
              bucket: backup-bucket-path2
              bucket_path: /path2/
              retire_deleted: true
              watch_interval: 2000
              inclusions: ['\.txt$']
              exclusions:
                - "[Tt]humbs.db"
            """);
        Assert.Equal((LogVerbosity.Debug, 5, 4, 500, 7), (config.LogLevel, config.UploadQueueBuffer, config.UploadWorkers, config.WatchInterval, config.S3OpsRetries));
        var (a, b) = (config.Sites[0], config.Sites[1]);
        Assert.Equal(("us-east-1", "STANDARD_IA", "AKIAI44QH8DHBEXAMPLE"), (a.Region, a.StorageClass, a.Credentials!.AccessKey));
        Assert.False(a.Filter.Includes("x/.DS_Store"));
        Assert.True(a.Filter.Includes("x/readme"));
        Assert.Equal(("path2", "eu-west-1", "GLOBALKEY", true, 2000), (b.Prefix, b.Region, b.Credentials!.AccessKey, b.RetireDeleted, b.WatchInterval));
        Assert.Equal("backup-bucket-path2/path2", b.Name);
        Assert.True(b.Filter.Includes("notes.txt"));
        Assert.False(b.Filter.Includes("Thumbs.db.txt"));
        Assert.False(b.Filter.Includes("image.png"));
    }

    [Fact]
    public void Matches_regexes_against_the_relative_path_not_the_absolute_one()
    {
        var site = Load("sites:\n- local_path: /var/logs\n  bucket: b-1\n  exclusions: [logs]\n").Sites[0];
        Assert.True(site.Filter.Includes("app/current.txt"));
        Assert.False(site.Filter.Includes("old-logs/x"));
    }

    [Fact]
    public void Never_shows_a_secret_in_the_resolved_configuration()
    {
        var config = Load("sites:\n- local_path: /d\n  bucket: b-1\n  access_key: AKIDEXAMPLE\n  secret_access_key: SuperSecretValue123\n");
        Assert.DoesNotContain("SuperSecretValue123", config.ToString());
        Assert.DoesNotContain("SuperSecretValue123", config.Sites[0].ToString());
    }

    private static SyncConfig Load(string yaml)
    {
        var (doc, lines) = ConfigLoader.Parse(yaml, "test.yml");
        return ConfigLoader.Resolve(doc, "test.yml", lines);
    }
}
