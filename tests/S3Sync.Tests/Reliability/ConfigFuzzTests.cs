using System.Text;
using Xunit.Abstractions;

namespace S3Sync.Tests.Reliability;

/// <summary>
/// Mutates valid configurations (fixed seed, bounded) and feeds every mutant to the command line. Each must end
/// with exit 2 and one-line messages naming the file: <c>--site</c> names a site no config has, so even a mutant
/// that is still valid stops at "no site named" before any network call.
/// </summary>
public sealed class ConfigFuzzTests(ITestOutputHelper log)
{
    public const int Iterations = 2000;

    private static readonly string[] Seeds =
    [
        """
        # global settings
        access_key: AKIAFUZZ
        secret_access_key: fuzz-secret
        aws_region: eu-west-1
        endpoint: http://127.0.0.1:9000
        force_path_style: true
        loglevel: debug
        upload_workers: 4
        upload_queue_buffer: 100
        watch_interval: 500
        s3_ops_retries: 3
        max_delete: 25%
        http_port: 8080
        http_address: 127.0.0.1
        sites:
        - name: www
          local_path: /srv/www
          bucket: my-bucket
          bucket_path: www/site
          bucket_region: eu-west-1
          storage_class: STANDARD_IA
          retire_deleted: true
          max_delete: 100
          exclusions:
            - '\.DS_Store$'
            - "^tmp/"
          inclusions: ['\.html$', '\.css$']
        - local_path: "/srv/img"
          bucket: other.bucket
          watch_interval: 2000
        """,
        "sites:\n- local_path: /data\n  bucket: b-1\n  bucket_path: a\n- {local_path: /other, bucket: b-1, bucket_path: a-b, retire_deleted: false}\n",
    ];

    private const string Alphabet = ":-[]{}&*!|>'\"#%@\t\n ,?\\0aZ/.~";

    private static string Mutate(string text, Random random)
    {
        var bytes = new List<byte>(Encoding.UTF8.GetBytes(text));
        var rounds = random.Next(1, 4);
        for (var r = 0; r < rounds && bytes.Count > 0; r++)
        {
            switch (random.Next(7))
            {
                case 0: // flip a bit
                    var i = random.Next(bytes.Count);
                    bytes[i] ^= (byte)(1 << random.Next(8));
                    break;
                case 1: // delete a run of bytes
                    var at = random.Next(bytes.Count);
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 12)));
                    break;
                case 2: // insert YAML punctuation
                    bytes.Insert(random.Next(bytes.Count + 1), (byte)Alphabet[random.Next(Alphabet.Length)]);
                    break;
                case 3: // random byte
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                    break;
                default: // line surgery: shuffle, duplicate, drop, re-indent
                    var lines = Encoding.UTF8.GetString([.. bytes]).Split('\n').ToList();
                    var a = random.Next(lines.Count);
                    var b = random.Next(lines.Count);
                    switch (random.Next(4))
                    {
                        case 0: (lines[a], lines[b]) = (lines[b], lines[a]); break;
                        case 1: lines.Insert(b, lines[a]); break;
                        case 2: lines.RemoveAt(a); break;
                        default: lines[a] = new string(' ', random.Next(0, 6)) + lines[a].TrimStart(); break;
                    }
                    bytes = [.. Encoding.UTF8.GetBytes(string.Join('\n', lines))];
                    break;
            }
        }
        return Convert.ToBase64String([.. bytes]);
    }

    [Fact]
    public async Task Mutated_configs_always_end_with_exit_2_and_one_line_messages()
    {
        var random = new Random(20261126);
        var dir = Path.Combine(Path.GetTempPath(), "s3sync-fuzz-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var failures = new List<string>();
        var outcomes = new Dictionary<string, int>();
        try
        {
            for (var n = 0; n < Iterations; n++)
            {
                var mutant = Convert.FromBase64String(Mutate(Seeds[n % Seeds.Length], random));
                var path = Path.Combine(dir, $"m{n}.yml");
                await File.WriteAllBytesAsync(path, mutant);
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // holds a secret: no mode warning
                var run = await BadConfigTests.VerifyAsync(path, "--site", "no-such-site-zz");
                var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                var ok = run.ExitCode == 2 && run.Output.Length == 0 && lines.Length > 0
                    && lines.All(l => l.StartsWith($"s3sync: {path}", StringComparison.Ordinal))
                    && !run.Error.Contains("   at ", StringComparison.Ordinal) && !run.Error.Contains("Exception", StringComparison.Ordinal);
                if (!ok) failures.Add($"mutant {n} (base64 {Convert.ToBase64String(mutant)}):\n{run}");
                var kind = run.Error.Contains("no site named", StringComparison.Ordinal) ? "still valid" : run.Error.Contains("invalid YAML", StringComparison.Ordinal) ? "invalid YAML" : "rejected by a check";
                outcomes[kind] = outcomes.GetValueOrDefault(kind) + 1;
                File.Delete(path);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        log.WriteLine($"{Iterations} mutants: " + string.Join(", ", outcomes.Select(o => $"{o.Value} {o.Key}")));
        Assert.True(failures.Count == 0, $"{failures.Count} of {Iterations} mutants misbehaved; first:\n{string.Join("\n\n", failures.Take(3))}");
        // The fuzzer must reach past the YAML parser, else it proves little.
        Assert.True(outcomes.GetValueOrDefault("rejected by a check") > Iterations / 10, string.Join(", ", outcomes));
    }
}
