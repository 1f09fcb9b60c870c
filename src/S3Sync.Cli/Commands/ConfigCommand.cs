using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using S3Sync.Config;
using S3Sync.Hashing;
using S3Sync.State;

namespace S3Sync.Cli.Commands;

/// <summary>
/// <c>s3sync config check</c>: validates a configuration (or the ad-hoc form with its flags) and prints what every
/// site resolves to, defaults filled in and secrets masked, as YAML. Touches neither the network nor the bucket.
/// </summary>
public static partial class ConfigCommand
{
    public static Command Create()
    {
        var config = new Command("config", "Work with configuration files.").WithExamples("s3sync config check -c /etc/s3sync/config.yml");
        config.Subcommands.Add(CreateCheck());
        return config;
    }

    private static Command CreateCheck()
    {
        var common = new CommonOptions();
        var check = new Command("check", "Validate a configuration and print every site as it resolves: defaults filled in, flags and AWS environment applied, secrets masked. Exit 0 when valid, 2 with one line per error. Nothing is sent to S3.")
            .WithExamples(
                "s3sync config check -c /etc/s3sync/config.yml",
                "s3sync config check -c config.yml --site www --storage-class STANDARD_IA",
                "s3sync config check ./public s3://my-bucket/www --delete");
        common.AddTo(check);
        check.SetAction(result =>
        {
            var output = result.InvocationConfiguration.Output;
            var error = result.InvocationConfiguration.Error;
            var loaded = common.LoadDocument(result, error, AwsEnvironment.FromProcess());
            if (loaded is null) return ExitCodes.Usage;
            Print(loaded, output, error);
            return ExitCodes.Ok;
        });
        return check;
    }

    /// <summary>Prints the resolved configuration as YAML with the same keys as the file. Secrets never appear.</summary>
    public static void Print(AssembledConfig loaded, TextWriter output, TextWriter warnings)
    {
        var (config, origin, environment) = (loaded.Config, loaded.Origin, loaded.Environment);
        string From(string key) => origin.TryGetValue(key, out var source) ? $"  # from {source}" : "";
        output.WriteLine($"# {config.SourceFile}: valid; {config.Sites.Count} site{(config.Sites.Count == 1 ? "" : "s")}");
        output.WriteLine($"loglevel: {config.LogLevel.ToString().ToLowerInvariant()}");
        output.WriteLine($"upload_workers: {config.UploadWorkers}");
        output.WriteLine($"upload_queue_buffer: {config.UploadQueueBuffer}");
        output.WriteLine($"watch_interval: {config.WatchInterval}");
        output.WriteLine($"s3_ops_retries: {config.S3OpsRetries}");
        output.WriteLine($"request_timeout: {config.RequestTimeout ?? Defaults.RequestTimeoutSeconds}{From("request_timeout")}");
        output.WriteLine($"rescan_interval: {config.RescanInterval}");
        output.WriteLine($"http_address: {Scalar(config.HttpAddress)}");
        output.WriteLine($"http_port: {(config.HttpPort is { } port ? port.ToString(CultureInfo.InvariantCulture) : "null  # no HTTP endpoint")}");
        output.WriteLine($"state_dir: {Scalar(HashCache.ResolveDirectory(config.StateDir))}  # {StateDirOrigin(config.StateDir, origin)}");
        output.WriteLine($"shard: {(config.Shard is { } shard ? $"{shard.Index}/{shard.Count}" : "null  # the whole of each site")}{From("shard")}");
        output.WriteLine($"bandwidth_limit: {(config.BandwidthLimit > 0 ? ByteRate.Format(config.BandwidthLimit) : "0  # no limit")}{From("bandwidth_limit")}");
        output.WriteLine("sites:");
        for (var n = 0; n < config.Sites.Count; n++)
        {
            var (site, i) = (config.Sites[n], loaded.Indices[n]);
            string SiteFrom(string key) => origin.TryGetValue($"sites[{i}].{key}", out var source) ? $"  # from {source}" : "";
            output.WriteLine($"- name: {Scalar(site.Name)}{SiteFrom("name")}");
            output.WriteLine($"  local_path: {Scalar(site.LocalPath)}");
            output.WriteLine($"  bucket: {Scalar(site.Bucket)}");
            output.WriteLine($"  bucket_path: {Scalar(site.Prefix)}  # {new S3Url(site.Bucket, site.ListPrefix)}");
            output.WriteLine($"  bucket_region: {(site.Region is { } region ? Scalar(region) : "null")}{RegionNote(site, origin, i)}");
            output.WriteLine($"  endpoint: {(site.Endpoint is { } endpoint ? Scalar(endpoint) : "null  # AWS S3")}{(site.Endpoint is null ? "" : SiteFrom("endpoint") is { Length: > 0 } e ? e : From("endpoint"))}");
            output.WriteLine($"  force_path_style: {Bool(site.ForcePathStyle)}{SiteFrom("force_path_style")}");
            output.WriteLine($"  retire_deleted: {Bool(site.RetireDeleted)}{SiteFrom("retire_deleted")}");
            output.WriteLine($"  create_bucket: {Bool(site.CreateBucket)}{SiteFrom("create_bucket")}");
            output.WriteLine($"  storage_class: {site.StorageClass}{SiteFrom("storage_class")}");
            output.WriteLine($"  folders: {Bool(site.Folders)}");
            output.WriteLine($"  metadata: {Bool(site.Metadata)}{SiteFrom("metadata")}");
            output.WriteLine($"  max_delete: {Scalar(site.MaxDelete.ToString())}");
            output.WriteLine($"  watch_interval: {site.WatchInterval}");
            output.WriteLine($"  watch_mode: {site.WatchMode.ToString().ToLowerInvariant()}");
            output.WriteLine($"  symlinks: {site.Symlinks.ToString().ToLowerInvariant()}{SiteFrom("symlinks")}");
            output.WriteLine($"  sse: {SseName(site.Encryption)}{SiteFrom("sse")}");
            output.WriteLine($"  sse_kms_key_id: {(site.Encryption.KmsKeyId is { } kms ? Scalar(kms) : site.Encryption.IsKms ? "null  # the account's default KMS key" : "null")}{SiteFrom("sse_kms_key_id")}");
            // The key file by its path only: the key itself is never printed.
            output.WriteLine($"  sse_customer_key_file: {(site.Encryption.CustomerKeyFile is { } keyFile ? Scalar(keyFile) : "null")}{SiteFrom("sse_customer_key_file")}");
            output.WriteLine($"  acl: {(site.Acl is { } acl ? acl : "null  # none sent: the bucket's default")}{SiteFrom("acl")}");
            output.WriteLine($"  profile: {(site.Profile is { } profile ? Scalar(profile) : "null")}{SiteFrom("profile")}");
            Headers(site.Headers, output);
            output.WriteLine($"  backup_path: {(site.BackupPath is { } backup ? Scalar(backup) : "null  # nothing kept of what a run deletes or overwrites")}{SiteFrom("backup_path")}");
            output.WriteLine($"  backup_storage_class: {site.BackupStorageClass ?? (site.BackupPath is null ? "null" : "null  # the object's own")}{SiteFrom("backup_storage_class")}");
            output.WriteLine($"  backup_keep: {(site.BackupKeep is { } keep ? KeepText(keep) : site.BackupPath is null ? "null" : "null  # keep every run folder")}");
            if (site.Credentials is { } c)
            {
                output.WriteLine($"  access_key: {Scalar(MaskAccessKey(c.AccessKey))}");
                output.WriteLine("  secret_access_key: '****'");
            }
            else
            {
                output.WriteLine($"  access_key: null  # credentials from {environment.CredentialSource(site.Profile)}");
                output.WriteLine("  secret_access_key: null");
            }
            List("exclusions", site.Filter.Exclusions, output);
            List("inclusions", site.Filter.Inclusions, output);
            if (site.Filter.Rules.Count > 0)
            {
                output.WriteLine("  # then the command-line filters, in order (the last one matching a path decides):");
                foreach (var rule in site.Filter.Rules) output.WriteLine($"  #   {rule.Flag} {Quoted(rule.Pattern)}");
            }
            if (!Directory.Exists(site.LocalPath))
                warnings.WriteLine($"s3sync: warning: site {site.Name}: local_path {site.LocalPath} does not exist here (sync would fail for this site)");
        }
    }

    /// <summary>A <c>backup_keep</c> period in the largest whole unit it was written in (30d, 12h, 90m, 45s).</summary>
    private static string KeepText(TimeSpan keep) =>
        keep.Ticks % TimeSpan.TicksPerDay == 0 ? $"{keep.Ticks / TimeSpan.TicksPerDay}d"
        : keep.Ticks % TimeSpan.TicksPerHour == 0 ? $"{keep.Ticks / TimeSpan.TicksPerHour}h"
        : keep.Ticks % TimeSpan.TicksPerMinute == 0 ? $"{keep.Ticks / TimeSpan.TicksPerMinute}m"
        : $"{keep.Ticks / TimeSpan.TicksPerSecond}s";

    private static string SseName(Encryption encryption) => encryption.Mode switch
    {
        EncryptionMode.None => "none",
        EncryptionMode.Customer => "null  # SSE-C, key from sse_customer_key_file",
        _ => encryption.Header!,
    };

    private static void Headers(HeaderRules rules, TextWriter output)
    {
        if (rules.Rules.Count == 0 && rules.Overrides.IsEmpty) { output.WriteLine("  headers: []  # content type from the extension table"); return; }
        output.WriteLine("  headers:");
        foreach (var rule in rules.Rules)
        {
            output.WriteLine($"  - match: {Quoted(rule.Match.ToString())}");
            Fields(rule.Headers, output);
        }
        if (!rules.Overrides.IsEmpty)
        {
            output.WriteLine("  # from flags, over every rule:");
            output.WriteLine("  - match: ''");
            Fields(rules.Overrides, output);
        }
    }

    private static void Fields(HeaderSet set, TextWriter output)
    {
        if (set.ContentType is { } type) output.WriteLine($"    content_type: {Quoted(type)}");
        if (set.CacheControl is { } cache) output.WriteLine($"    cache_control: {Quoted(cache)}");
        if (set.ContentEncoding is { } encoding) output.WriteLine($"    content_encoding: {Quoted(encoding)}");
        if (set.ContentDisposition is { } disposition) output.WriteLine($"    content_disposition: {Quoted(disposition)}");
        if (set.Metadata.Count == 0) return;
        output.WriteLine("    metadata:");
        foreach (var (name, value) in set.Metadata) output.WriteLine($"      {Scalar(name)}: {Quoted(value)}");
    }

    /// <summary>Where the hash cache's folder comes from, in <see cref="HashCache.ResolveDirectory"/>'s order.</summary>
    private static string StateDirOrigin(string? configured, IReadOnlyDictionary<string, string> origin)
    {
        if (!string.IsNullOrWhiteSpace(configured)) return origin.TryGetValue("state_dir", out var flag) ? $"from {flag}" : "from state_dir";
        if (Environment.GetEnvironmentVariable("S3SYNC_STATE_DIR") is { Length: > 0 }) return "from S3SYNC_STATE_DIR";
        if (Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg)) return "default: $XDG_STATE_HOME/s3sync";
        return "default: ~/.local/state/s3sync";
    }

    private static string RegionNote(Site site, IReadOnlyDictionary<string, string> origin, int i)
    {
        if (origin.TryGetValue($"sites[{i}].bucket_region", out var flag)) return $"  # from {flag}";
        if (site.Region is not null) return origin.TryGetValue("aws_region", out var source) ? $"  # from {source}" : "";
        return site.Endpoint is null ? "  # the SDK's chain decides (instance metadata), else requests fail" : $"  # signing region {Defaults.DefaultRegion}";
    }

    private static void List(string key, IReadOnlyList<string> patterns, TextWriter output)
    {
        if (patterns.Count == 0) { output.WriteLine($"  {key}: []"); return; }
        output.WriteLine($"  {key}:");
        foreach (var p in patterns) output.WriteLine($"  - {Quoted(p)}");
    }

    /// <summary>Like <c>aws configure list</c>: the last four characters of a long key, nothing of a short one.</summary>
    public static string MaskAccessKey(string key) => key.Length >= 16 ? new string('*', key.Length - 4) + key[^4..] : "****";

    private static string Bool(bool value) => value ? "true" : "false";

    /// <summary>A YAML scalar: plain when it cannot be misread, else single-quoted.</summary>
    internal static string Scalar(string value) =>
        value.Length > 0 && PlainScalar().IsMatch(value) && !IsYamlWord(value) ? value : Quoted(value);

    private static string Quoted(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static bool IsYamlWord(string value) =>
        value.ToLowerInvariant() is "true" or "false" or "yes" or "no" or "on" or "off" or "null" or "~" ||
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    [GeneratedRegex(@"^[A-Za-z0-9_/.][A-Za-z0-9_/.:@+-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainScalar();
}
