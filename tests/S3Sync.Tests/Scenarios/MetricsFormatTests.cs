using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using S3Sync.Tests.Support;
using S3Sync.Watching;

namespace S3Sync.Tests.Scenarios;

/// <summary>/metrics scraped from a running watch and read by a strict parser of the Prometheus text format 0.0.4
/// (issue #27): what a Prometheus server, or promtool check metrics, would refuse fails here.</summary>
[Collection("s3")]
public sealed partial class MetricsFormatTests(S3ServerFixture server)
{
    [Fact]
    public async Task Metrics_parse_strictly_with_conventional_names_beside_the_seeds_build_info_and_process_metrics()
    {
        // Given a watch of two sites, one whose name needs escaping in a label value, after an upload and a delete
        using var s = await Scenario.CreateAsync(server);
        s.Write("www/one.txt", "12345");
        s.Write("www/two.txt", "1234567890");
        s.Write("odd/x.txt", "x");
        s.Config($"- name: www\n  local_path: {s.Local}/www\n  bucket: {s.Bucket}\n  bucket_path: www\n  retire_deleted: true\n"
            + $"- name: 'a\"b\\c'\n  local_path: {s.Local}/odd\n  bucket: {s.Bucket}\n  bucket_path: odd\n");
        await using var w = new WatchHarness(s);
        w.Service.Metrics.Version = "1.2.3+abc";
        await using var http = new StatusServer("127.0.0.1", 0, () => w.Service.Healthy, w.Service.Metrics.Render, w.Log);
        http.Start();
        await w.StartAsync();
        s.Write("www/three.txt", "abc");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "three.txt");
        File.Delete(Path.Combine(s.Local, "www", "one.txt"));
        await w.WaitForAsync(WatchActivityKind.Deleted, "one.txt");

        // When /metrics is scraped
        var (status, type, body) = await GetAsync(http.Port, "/metrics");

        // Then it parses strictly
        Assert.Equal(200, status);
        Assert.StartsWith("text/plain; version=0.0.4", type, StringComparison.Ordinal);
        var families = Parse(body);

        // and the conventional names carry the seed's values, beside the seed's names
        double Value(string name, string site) => families[name].Samples.Single(x => x.Labels.GetValueOrDefault("site") == site).Value;
        Assert.Equal(15, Value("s3sync_data_size_bytes", "www"));
        Assert.Equal(Value("s3sync_data_total_size", "www"), Value("s3sync_data_size_bytes", "www"));
        Assert.Equal(2, Value("s3sync_data_objects", "www"));
        Assert.Equal(Value("s3sync_data_objects_count", "www"), Value("s3sync_data_objects", "www"));
        Assert.Equal(0, Value("s3sync_errors_total", "www"));
        Assert.Equal(0, Value("s3sync_errors_count", "www"));
        Assert.Equal(1, Value("s3sync_deletes_total", "www"));
        Assert.Equal(1, Value("s3sync_data_objects", "a\"b\\c"));
        Assert.Equal("counter", families["s3sync_errors_total"].Type);
        Assert.Equal("gauge", families["s3sync_deletes_held"].Type);

        // and the build and the process describe themselves
        var build = Assert.Single(families["s3sync_build_info"].Samples);
        Assert.Equal(("1.2.3+abc", 1.0), (build.Labels["version"], build.Value));
        Assert.InRange(Assert.Single(families["process_cpu_seconds_total"].Samples).Value, 0.01, 3600);
        Assert.InRange(Assert.Single(families["process_resident_memory_bytes"].Samples).Value, 1 << 20, 64L << 30);
        Assert.InRange(Assert.Single(families["process_open_fds"].Samples).Value, 3, 1 << 20);
        var started = DateTimeOffset.FromUnixTimeMilliseconds((long)(Assert.Single(families["process_start_time_seconds"].Samples).Value * 1000));
        Assert.InRange(started, System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime().AddSeconds(-2), DateTimeOffset.UtcNow);
    }

    private sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);

    private sealed record Family(string Name, string Type, string? Help, List<Sample> Samples);

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    /// <summary>
    /// The text format as Prometheus reads it, strictly: every line ends in '\n'; <c># HELP</c> and <c># TYPE</c> at most
    /// once per family, before its samples, TYPE one of the five; a family's samples contiguous; names and label names
    /// valid; label values quoted with only \\, \" and \n escaped; values as Go's ParseFloat (and +Inf, -Inf, NaN); no
    /// series twice; a sample belongs to a declared family (a histogram's by its _bucket, _sum and _count); a counter's
    /// name ends in _total; a histogram's buckets are cumulative, end with le="+Inf" and equal its _count.
    /// </summary>
    private static Dictionary<string, Family> Parse(string text)
    {
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var families = new Dictionary<string, Family>(StringComparer.Ordinal);
        var series = new HashSet<string>(StringComparer.Ordinal);
        var helps = new Dictionary<string, string>(StringComparer.Ordinal);
        string? current = null;
        var closed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text[..^1].Split('\n'))
        {
            Assert.False(line.Length == 0 || line.EndsWith(' ') || line.Contains('\r', StringComparison.Ordinal), $"bad line: '{line}'");
            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                Assert.True(parts.Length >= 3 && parts[0] == "#" && parts[1] is "HELP" or "TYPE", $"bad comment line: {line}");
                var name = parts[2];
                Assert.Matches(MetricName(), name);
                Assert.False(families.TryGetValue(name, out var known) && known.Samples.Count > 0, $"{parts[1]} after the samples of {name}");
                if (current != name && current is not null) closed.Add(current);
                Assert.DoesNotContain(name, closed);
                current = name;
                if (parts[1] == "HELP")
                {
                    Assert.True(helps.TryAdd(name, parts.Length > 3 ? parts[3] : ""), $"two HELP lines for {name}");
                    // HELP escapes only \\ and \n
                    Assert.DoesNotMatch(@"\\[^\\n]", (parts.Length > 3 ? parts[3] : "").Replace(@"\\", "", StringComparison.Ordinal));
                }
                else
                {
                    Assert.True(parts.Length == 4 && parts[3] is "counter" or "gauge" or "histogram" or "summary" or "untyped", $"bad TYPE: {line}");
                    Assert.False(families.ContainsKey(name), $"two TYPE lines for {name}");
                    if (parts[3] == "counter") Assert.EndsWith("_total", name, StringComparison.Ordinal);
                    families[name] = new Family(name, parts[3], helps.GetValueOrDefault(name), []);
                }
                continue;
            }
            var sample = ParseSample(line);
            var family = families.GetValueOrDefault(sample.Name)
                ?? families.Values.SingleOrDefault(f => f.Type == "histogram" && sample.Name.StartsWith(f.Name + "_", StringComparison.Ordinal) && sample.Name[(f.Name.Length + 1)..] is "bucket" or "sum" or "count");
            Assert.True(family is not null, $"sample of an undeclared family (no TYPE line): {line}");
            if (current != family!.Name && current is not null) closed.Add(current);
            Assert.DoesNotContain(family.Name, closed);
            current = family.Name;
            Assert.True(series.Add(sample.Name + "{" + string.Join(",", sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)) + "}"), $"series twice: {line}");
            family.Samples.Add(sample);
        }
        foreach (var h in families.Values.Where(f => f.Type == "histogram"))
        {
            foreach (var group in h.Samples.GroupBy(x => string.Join(",", x.Labels.Where(l => l.Key != "le").Select(l => l.Key + "=" + l.Value))))
            {
                var buckets = group.Where(x => x.Name == h.Name + "_bucket").ToList();
                Assert.NotEmpty(buckets);
                Assert.Equal("+Inf", buckets[^1].Labels["le"]);
                for (var i = 1; i < buckets.Count; i++)
                {
                    Assert.True(buckets[i].Value >= buckets[i - 1].Value, $"{h.Name}: buckets not cumulative");
                    Assert.True(ParseValue(buckets[i].Labels["le"]) > ParseValue(buckets[i - 1].Labels["le"]), $"{h.Name}: le not increasing");
                }
                Assert.Equal(buckets[^1].Value, group.Single(x => x.Name == h.Name + "_count").Value);
                Assert.Single(group, x => x.Name == h.Name + "_sum");
            }
        }
        return families;
    }

    private static Sample ParseSample(string line)
    {
        var i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
        var name = line[..i];
        Assert.Matches(MetricName(), name);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                var label = line[i..eq];
                Assert.Matches(LabelName(), label);
                Assert.False(label.StartsWith("__", StringComparison.Ordinal), $"reserved label name: {line}");
                Assert.Equal('"', line[eq + 1]);
                var value = new StringBuilder();
                var j = eq + 2;
                for (; line[j] != '"'; j++)
                {
                    if (line[j] != '\\') { value.Append(line[j]); continue; }
                    j++;
                    value.Append(line[j] switch { '\\' => '\\', '"' => '"', 'n' => '\n', _ => throw new Xunit.Sdk.XunitException($"bad escape \\{line[j]} in: {line}") });
                }
                Assert.True(labels.TryAdd(label, value.ToString()), $"label twice: {line}");
                i = j + 1;
                if (line[i] == ',') i++;
                else Assert.Equal('}', line[i]);
            }
            i++;
        }
        Assert.Equal(' ', line[i]);
        var rest = line[(i + 1)..].Split(' ');
        Assert.InRange(rest.Length, 1, 2);
        if (rest.Length == 2) Assert.Matches("^-?[0-9]+$", rest[1]);
        return new Sample(name, labels, ParseValue(rest[0]));
    }

    private static double ParseValue(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && !text.Contains(',', StringComparison.Ordinal)
            ? v : throw new Xunit.Sdk.XunitException($"not a sample value: '{text}'"),
    };

    private static async Task<(int Status, string Type, string Body)> GetAsync(int port, string path)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        var response = await new StreamReader(stream).ReadToEndAsync();
        var head = response[..response.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n");
        var status = int.Parse(head[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var type = head.Single(h => h.StartsWith("Content-Type: ", StringComparison.Ordinal))["Content-Type: ".Length..];
        return (status, type, response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }
}
