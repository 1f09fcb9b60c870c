using S3Sync.Cli;
using S3Sync.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace S3Sync.Tests.Cli;

/// <summary>Every configuration under examples/ is valid, and the container files agree with each other.</summary>
public sealed class ExamplesTests
{
    private static string Examples => Path.Combine(S3ServerFixture.RepoRoot, "examples");

    public static TheoryData<string> ExampleConfigs()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Examples, "*.yml").Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(file));
        return data;
    }

    private static async Task<RunResult> Check(string path)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await Program.RunAsync(["config", "check", "-c", path], output, error);
        return new RunResult(code, output.ToString(), error.ToString());
    }

    [Fact]
    public void There_is_an_example_for_each_use()
    {
        var names = Directory.EnumerateFiles(Examples, "*.yml").Select(Path.GetFileName).ToHashSet();
        Assert.Superset(new HashSet<string?> { "server-backup.yml", "static-site.yml", "multi-site.yml" }, names);
    }

    [Theory]
    [MemberData(nameof(ExampleConfigs))]
    public async Task Example_config_passes_config_check(string name)
    {
        var run = await Check(Path.Combine(Examples, name));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(": valid;", run.Output);
    }

    [Fact]
    public async Task Kubernetes_configmap_config_passes_config_check_and_serves_the_probes()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(Examples, "kubernetes.yaml"))));
        var configMap = stream.Documents.Select(d => (YamlMappingNode)d.RootNode).Single(d => d.Children[new YamlScalarNode("kind")].ToString() == "ConfigMap");
        var yaml = ((YamlMappingNode)configMap.Children[new YamlScalarNode("data")]).Children[new YamlScalarNode("config.yml")].ToString();
        var path = Path.Combine(Path.GetTempPath(), "s3sync-k8s-" + Guid.NewGuid().ToString("N")[..8] + ".yml");
        File.WriteAllText(path, yaml);
        try
        {
            var run = await Check(path);

            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("http_port: 8080", run.Output);
            Assert.Contains("http_address: 0.0.0.0", run.Output);
            var manifest = File.ReadAllText(Path.Combine(Examples, "kubernetes.yaml"));
            // Liveness, readiness and start-up are three answers (issue #27): a held deletion is not a restart
            Assert.Contains("httpGet: { path: /livez, port: http }", manifest);
            Assert.Contains("httpGet: { path: /readyz, port: http }", manifest);
            Assert.Contains("httpGet: { path: /startupz, port: http }", manifest);
            Assert.DoesNotContain("/healthz", manifest);
            Assert.Contains("containerPort: 8080", manifest);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Kubernetes_indexed_job_passes_config_check_and_gives_each_pod_its_shard()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(Examples, "kubernetes-indexed-job.yaml"))));
        var documents = stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
        var configMap = documents.Single(d => d.Children[new YamlScalarNode("kind")].ToString() == "ConfigMap");
        var yaml = ((YamlMappingNode)configMap.Children[new YamlScalarNode("data")]).Children[new YamlScalarNode("config.yml")].ToString();
        var job = documents.Single(d => d.Children[new YamlScalarNode("kind")].ToString() == "Job");
        var spec = (YamlMappingNode)job.Children[new YamlScalarNode("spec")];
        Assert.Equal("Indexed", spec.Children[new YamlScalarNode("completionMode")].ToString());
        var n = spec.Children[new YamlScalarNode("completions")].ToString();
        var container = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)spec.Children[new YamlScalarNode("template")]).Children[new YamlScalarNode("spec")]).Children[new YamlScalarNode("containers")]).Children[0];
        var args = ((YamlSequenceNode)container.Children[new YamlScalarNode("args")]).Children.Select(a => a.ToString()).ToList();
        Assert.Equal("sync", args[0]);
        Assert.Equal($"$(JOB_COMPLETION_INDEX)/{n}", args[args.IndexOf("--shard") + 1]);

        var path = Path.Combine(Path.GetTempPath(), "s3sync-k8s-job-" + Guid.NewGuid().ToString("N")[..8] + ".yml");
        File.WriteAllText(path, yaml);
        try
        {
            var run = await Check(path);
            Assert.True(run.ExitCode == 0, run.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Dockerfile_final_stage_is_scratch_non_root_with_the_seeds_command()
    {
        var lines = File.ReadAllLines(Path.Combine(S3ServerFixture.RepoRoot, "Dockerfile.alpine"));
        var final = lines.SkipWhile(l => l != "FROM scratch").ToList();

        Assert.NotEmpty(final);
        Assert.Equal(1, lines.Count(l => l.StartsWith("FROM scratch", StringComparison.Ordinal)));
        Assert.Contains("USER 65532:65532", final);
        Assert.Contains("ENTRYPOINT [\"/s3sync\"]", final);
        Assert.Contains("CMD [\"watch\", \"-c\", \"/opt/s3sync/config.yml\"]", final);
        Assert.Contains("VOLUME [\"/var/lib/s3sync\"]", final);
        Assert.Contains(lines, l => l.Contains("sh /rootfs.sh /out/s3sync /etc/ssl/certs/ca-certificates.crt /rootfs", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("-p:StaticExecutable=true -p:LinkerFlavor=lld -p:StaticOpenSslLinking=true", StringComparison.Ordinal));
        // StaticOpenSslLinking builds the OpenSSL shim with cmake and links the static archives; the hash cache links
        // SQLite's (S3Sync.Cli.csproj takes /usr/lib/libsqlite3.a on musl). Continued lines are read as one.
        var commands = string.Join('\n', lines).Replace("\\\n", " ", StringComparison.Ordinal).Split('\n');
        Assert.Contains(commands, l => l.StartsWith("RUN apk add", StringComparison.Ordinal)
            && new[] { " clang ", " lld ", " cmake ", " openssl-libs-static ", " zlib-static ", " sqlite-static " }.All(p => l.Contains(p, StringComparison.Ordinal)));
        // the host's obj/ folders hold restore results for another machine: they must not reach the build context
        var ignored = File.ReadAllLines(Path.Combine(S3ServerFixture.RepoRoot, ".dockerignore"));
        Assert.Contains("**/obj/", ignored);
        Assert.Contains("**/bin/", ignored);
    }

    [Fact]
    public void Systemd_unit_restarts_on_failure_inside_a_sandbox()
    {
        var unit = File.ReadAllLines(Path.Combine(Examples, "systemd", "s3sync.service"));

        Assert.Contains("Restart=on-failure", unit);
        Assert.Contains("ProtectSystem=strict", unit);
        Assert.Contains("StateDirectory=s3sync", unit);
        Assert.Contains(unit, l => l.StartsWith("ReadOnlyPaths=", StringComparison.Ordinal));
        Assert.Contains(unit, l => l.StartsWith("ExecStart=/usr/local/bin/s3sync watch -c ", StringComparison.Ordinal));
        // systemd's own protocol (issue #27): notify, reload by SIGHUP, a watchdog, and one unit only
        Assert.Contains("Type=notify", unit);
        Assert.Contains("ExecReload=/bin/kill -HUP $MAINPID", unit);
        Assert.Contains(unit, l => l.StartsWith("WatchdogSec=", StringComparison.Ordinal));
        Assert.Single(Directory.EnumerateFiles(Examples, "*.service", SearchOption.AllDirectories));
    }
}
