using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace S3Sync.Config;

/// <summary>
/// Reads a configuration file and checks all of it before anything touches the network.
/// Two passes: the YAML node tree gives every key its line and catches unknown keys and wrong types with
/// a precise message; the source-generated deserializer then builds the <see cref="ConfigDocument"/>.
/// </summary>
public static class ConfigLoader
{
    /// <summary>Configuration files larger than this are refused unread: nobody writes one by hand.</summary>
    public const int MaxFileBytes = UserFile.MaxBytes;

    /// <summary>A configuration file's bytes, read as every file a user names is (<see cref="UserFile"/>): a regular
    /// file of at most <see cref="MaxFileBytes"/>. <c>watch</c> reads it this way to see it change, too.</summary>
    public static byte[] ReadFile(string path) => UserFile.Read(path, "a configuration file", MaxFileBytes);

    public static readonly IReadOnlyList<string> StorageClasses =
    [
        "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
        "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "OUTPOSTS", "SNOW", "EXPRESS_ONEZONE",
    ];

    /// <summary>The canned ACLs an object takes (<c>acl</c>).</summary>
    public static readonly IReadOnlyList<string> CannedAcls =
    [
        "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
        "bucket-owner-read", "bucket-owner-full-control",
    ];

    private enum Kind { String, Int, Bool, StringList, Sites, Headers, StringMap }

    private static readonly FrozenDictionary<string, Kind> GlobalKeys = new Dictionary<string, Kind>(StringComparer.Ordinal)
    {
        ["access_key"] = Kind.String, ["secret_access_key"] = Kind.String, ["aws_region"] = Kind.String,
        ["endpoint"] = Kind.String, ["force_path_style"] = Kind.Bool, ["loglevel"] = Kind.String,
        ["upload_queue_buffer"] = Kind.Int, ["upload_workers"] = Kind.Int, ["watch_interval"] = Kind.Int,
        ["s3_ops_retries"] = Kind.Int, ["request_timeout"] = Kind.Int, ["rescan_interval"] = Kind.Int, ["http_port"] = Kind.Int,
        ["http_address"] = Kind.String, ["max_delete"] = Kind.String, ["state_dir"] = Kind.String, ["shard"] = Kind.String,
        ["sites"] = Kind.Sites, ["bandwidth_limit"] = Kind.String, ["sse"] = Kind.String, ["sse_kms_key_id"] = Kind.String,
        ["sse_customer_key_file"] = Kind.String, ["acl"] = Kind.String, ["headers"] = Kind.Headers, ["profile"] = Kind.String,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, Kind> SiteKeys = new Dictionary<string, Kind>(StringComparer.Ordinal)
    {
        ["name"] = Kind.String, ["local_path"] = Kind.String, ["bucket"] = Kind.String,
        ["bucket_path"] = Kind.String, ["bucket_region"] = Kind.String, ["retire_deleted"] = Kind.Bool,
        ["storage_class"] = Kind.String, ["access_key"] = Kind.String, ["secret_access_key"] = Kind.String,
        ["endpoint"] = Kind.String, ["force_path_style"] = Kind.Bool, ["watch_interval"] = Kind.Int,
        ["max_delete"] = Kind.String, ["exclusions"] = Kind.StringList, ["inclusions"] = Kind.StringList,
        ["symlinks"] = Kind.String, ["watch_mode"] = Kind.String, ["folders"] = Kind.Bool, ["metadata"] = Kind.Bool,
        ["create_bucket"] = Kind.Bool,
        ["sse"] = Kind.String, ["sse_kms_key_id"] = Kind.String, ["sse_customer_key_file"] = Kind.String,
        ["acl"] = Kind.String, ["headers"] = Kind.Headers, ["profile"] = Kind.String,
        ["backup_path"] = Kind.String, ["backup_storage_class"] = Kind.String, ["backup_keep"] = Kind.String,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Every top-level key the loader accepts (tests hold docs/configuration.md and <c>config check</c> to it).</summary>
    internal static IEnumerable<string> GlobalKeyNames => GlobalKeys.Keys;

    /// <summary>Every key of a <c>sites:</c> entry the loader accepts.</summary>
    internal static IEnumerable<string> SiteKeyNames => SiteKeys.Keys;

    private static readonly FrozenDictionary<string, Kind> HeaderRuleKeys = new Dictionary<string, Kind>(StringComparer.Ordinal)
    {
        ["match"] = Kind.String, ["content_type"] = Kind.String, ["cache_control"] = Kind.String,
        ["content_encoding"] = Kind.String, ["content_disposition"] = Kind.String, ["metadata"] = Kind.StringMap,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Loads and resolves a file; throws <see cref="ConfigException"/> with every error found.</summary>
    public static SyncConfig LoadFile(string path)
    {
        var (document, lines) = ParseFile(path);
        return Resolve(document, path, lines);
    }

    /// <summary>Reads and parses a file into the document as written, plus where each key stands.</summary>
    public static (ConfigDocument Document, KeyLines Lines) ParseFile(string path)
    {
        byte[] bytes;
        try { bytes = ReadFile(path); }
        catch (UserFileException e) { throw Fail(path, e.Message); }
        return Parse(Decode(path, bytes), path);
    }

    private static string Decode(string path, byte[] bytes)
    {
        if (Array.IndexOf(bytes, (byte)0) >= 0) throw Fail(path, "not a text file (it holds NUL bytes)");
        try
        {
            var text = new UTF8Encoding(false, true).GetString(bytes);
            return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
        }
        catch (DecoderFallbackException) { throw Fail(path, "not valid UTF-8 text"); }
    }

    /// <summary>Parses YAML text; <paramref name="file"/> names it in errors.</summary>
    public static (ConfigDocument Document, KeyLines Lines) Parse(string text, string file)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ConfigException([new ConfigError(file, (int)e.Start.Line, (int)e.Start.Column, "", $"invalid YAML: {Clean(e.Message)}")]);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException or IndexOutOfRangeException)
        {
            // YamlDotNet's scanner throws these on some malformed input (found by the config fuzz test).
            throw Fail(file, $"invalid YAML: the parser could not read it ({Clean(e.Message)})");
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            throw Fail(file, "the file is empty; it needs at least a 'sites:' list");
        if (stream.Documents.Count > 1)
            throw new ConfigException([At(file, stream.Documents[1].RootNode, "", "the file holds more than one YAML document; put everything in one")]);

        var errors = new List<ConfigError>();
        var lines = new KeyLines(file);
        var root = stream.Documents[0].RootNode;
        CheckMapping(file, root, "", GlobalKeys, errors, lines);
        if (errors.Count > 0) throw new ConfigException(errors);

        try
        {
            var deserializer = new StaticDeserializerBuilder(new ConfigYamlContext())
                .WithNamingConvention(UnderscoredNamingConvention.Instance)
                // Unknown keys were refused above; the upload keys are read from the node tree (UploadKeysReader).
                .IgnoreUnmatchedProperties()
                .Build();
            var document = deserializer.Deserialize<ConfigDocument>(text) ?? new ConfigDocument();
            UploadKeysReader.Fill(root, document);
            return (document, lines);
        }
        catch (YamlException e)
        {
            var message = Clean(e.InnerException?.Message ?? e.Message);
            throw new ConfigException([new ConfigError(file, (int)e.Start.Line, (int)e.Start.Column, "", message)]);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException or IndexOutOfRangeException)
        {
            throw Fail(file, $"invalid YAML: the parser could not read it ({Clean(e.Message)})");
        }
    }

    private static string Clean(string message)
    {
        message = message.Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
        var cut = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && cut > 0 ? message[(cut + 3)..] : message;
    }

    private static ConfigException Fail(string file, string message) => new([new ConfigError(file, 0, 0, "", message)]);

    private static ConfigError At(string file, YamlNode node, string key, string message) =>
        new(file, (int)node.Start.Line, (int)node.Start.Column, key, message);

    private static void CheckMapping(string file, YamlNode node, string path, FrozenDictionary<string, Kind> schema, List<ConfigError> errors, KeyLines lines)
    {
        if (node is not YamlMappingNode mapping)
        {
            errors.Add(At(file, node, path, path.Length == 0 ? "the top level must be a mapping of keys (upload_workers:, sites:, ...)"
                : schema == HeaderRuleKeys ? "must be a mapping of keys (match:, cache_control:, ...)" : "must be a mapping of keys (local_path:, bucket:, ...)"));
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in mapping.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            var keyPath = path.Length == 0 ? key : $"{path}.{key}";
            if (!schema.TryGetValue(key, out var kind))
            {
                var suggestion = Closest(key, schema.Keys);
                errors.Add(At(file, keyNode, keyPath, suggestion is null ? "unknown key" : $"unknown key (did you mean '{suggestion}'?)"));
                continue;
            }
            if (!seen.Add(key))
            {
                errors.Add(At(file, keyNode, keyPath, "key given twice"));
                continue;
            }
            lines.Add(keyPath, keyNode);
            CheckValue(file, value, keyPath, kind, errors, lines);
        }
    }

    private static void CheckValue(string file, YamlNode value, string keyPath, Kind kind, List<ConfigError> errors, KeyLines lines)
    {
        if (value is YamlScalarNode { Value: null or "" } && value.Tag.IsEmpty && ((YamlScalarNode)value).Style == YamlDotNet.Core.ScalarStyle.Plain)
            return; // "key:" with nothing after it means unset
        switch (kind)
        {
            case Kind.String:
                if (value is not YamlScalarNode) errors.Add(At(file, value, keyPath, "expected a single value (a string), not a list or mapping"));
                break;
            case Kind.Int:
                if (value is not YamlScalarNode { Value: { } n } || !int.TryParse(n, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                    errors.Add(At(file, value, keyPath, $"expected a whole number, got {Describe(value)}"));
                break;
            case Kind.Bool:
                if (value is not YamlScalarNode { Value: { } b } || !(b.Equals("true", StringComparison.OrdinalIgnoreCase) || b.Equals("false", StringComparison.OrdinalIgnoreCase)))
                    errors.Add(At(file, value, keyPath, $"expected true or false, got {Describe(value)}"));
                break;
            case Kind.StringList:
                if (value is not YamlSequenceNode list)
                {
                    errors.Add(At(file, value, keyPath, $"expected a list of regular expressions, got {Describe(value)}"));
                    break;
                }
                for (var i = 0; i < list.Children.Count; i++)
                {
                    lines.Add($"{keyPath}[{i}]", list.Children[i]);
                    if (list.Children[i] is not YamlScalarNode)
                        errors.Add(At(file, list.Children[i], $"{keyPath}[{i}]", "expected a regular expression (a string)"));
                }
                break;
            case Kind.Sites:
                if (value is not YamlSequenceNode sites)
                {
                    errors.Add(At(file, value, keyPath, $"expected a list of sites, got {Describe(value)}"));
                    break;
                }
                for (var i = 0; i < sites.Children.Count; i++)
                {
                    lines.Add($"sites[{i}]", sites.Children[i]);
                    CheckMapping(file, sites.Children[i], $"sites[{i}]", SiteKeys, errors, lines);
                }
                break;
            case Kind.Headers:
                if (value is not YamlSequenceNode rules)
                {
                    errors.Add(At(file, value, keyPath, $"expected a list of rules (- match: ...), got {Describe(value)}"));
                    break;
                }
                for (var i = 0; i < rules.Children.Count; i++)
                {
                    lines.Add($"{keyPath}[{i}]", rules.Children[i]);
                    CheckMapping(file, rules.Children[i], $"{keyPath}[{i}]", HeaderRuleKeys, errors, lines);
                }
                break;
            case Kind.StringMap:
                if (value is not YamlMappingNode map)
                {
                    errors.Add(At(file, value, keyPath, $"expected a mapping of names to values ({{team: web}}), got {Describe(value)}"));
                    break;
                }
                foreach (var (nameNode, entry) in map.Children)
                {
                    var name = (nameNode as YamlScalarNode)?.Value ?? "";
                    lines.Add($"{keyPath}.{name}", nameNode);
                    if (nameNode is not YamlScalarNode || entry is not YamlScalarNode)
                        errors.Add(At(file, nameNode, $"{keyPath}.{name}", "expected a name and a single value"));
                }
                break;
        }
    }

    private static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s => $"'{Truncate(s.Value ?? "")}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => "something else",
    };

    private static string Truncate(string s) => s.Length > 40 ? s[..40] + "..." : s;

    /// <summary>The known key nearest to a misspelt one, when it is near enough to be a likely typo.</summary>
    public static string? Closest(string key, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            var d = Levenshtein(key.ToLowerInvariant().Replace('-', '_'), candidate.ToLowerInvariant());
            if (d < bestDistance) { best = candidate; bestDistance = d; }
        }
        return bestDistance <= Math.Max(2, key.Length / 3) ? best : null;
    }

    private static int Levenshtein(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    /// <summary>Fills in defaults and checks the values; every error found is reported at once.</summary>
    public static SyncConfig Resolve(ConfigDocument doc, string file, KeyLines lines)
    {
        var errors = new List<ConfigError>();
        ConfigError Err(string key, string message) => lines.ErrorAt(key, message);

        var logLevel = LogVerbosity.Info;
        if (doc.Loglevel is { } level && !TryParseLogLevel(level, out logLevel))
            errors.Add(Err("loglevel", $"unknown log level '{level}' (valid: trace, debug, info, warn, error, fatal, panic)"));
        if (doc.UploadWorkers is < 1) errors.Add(Err("upload_workers", $"must be at least 1, got {doc.UploadWorkers}"));
        if (doc.UploadWorkers is > Defaults.MaxUploadWorkers) errors.Add(Err("upload_workers", $"must be at most {Defaults.MaxUploadWorkers}, got {doc.UploadWorkers}"));
        if (doc.UploadQueueBuffer is < 0) errors.Add(Err("upload_queue_buffer", $"must be 0 or more, got {doc.UploadQueueBuffer}"));
        if (doc.WatchInterval is < 0) errors.Add(Err("watch_interval", $"must be 0 or more milliseconds, got {doc.WatchInterval}"));
        if (doc.S3OpsRetries is < 0) errors.Add(Err("s3_ops_retries", $"must be 0 or more, got {doc.S3OpsRetries}"));
        if (doc.RequestTimeout is < 1 or > Defaults.MaxRequestTimeoutSeconds) errors.Add(Err("request_timeout", $"must be from 1 to {Defaults.MaxRequestTimeoutSeconds} seconds, got {doc.RequestTimeout}"));
        if (doc.RescanInterval is < 0) errors.Add(Err("rescan_interval", $"must be 0 (never) or more seconds, got {doc.RescanInterval}"));
        if (doc.HttpPort is < 0 or > 65535) errors.Add(Err("http_port", $"must be a port from 0 to 65535, got {doc.HttpPort}"));
        if (doc.HttpAddress is { } address && !System.Net.IPAddress.TryParse(address, out _) && address != "localhost")
            errors.Add(Err("http_address", $"'{address}' is not an IP address"));
        CheckEndpoint(doc.Endpoint, "endpoint", errors, Err);
        var globalLimit = ParseLimit(doc.MaxDelete, "max_delete", errors, Err) ?? DeleteLimit.Default;
        if ((doc.AccessKey is null) != (doc.SecretAccessKey is null))
            errors.Add(Err(doc.AccessKey is null ? "secret_access_key" : "access_key", "access_key and secret_access_key go together; give both or neither"));
        Shard? shard = null;
        if (doc.Shard is { } shardText && (shard = Config.Shard.Parse(shardText, out var shardWhy)) is null) errors.Add(Err("shard", shardWhy!));
        long bandwidth = 0;
        if (doc.BandwidthLimit is { } rate && !ByteRate.TryParse(rate, out bandwidth, out var rateWhy)) errors.Add(Err("bandwidth_limit", rateWhy!));
        var uploads = new UploadOptionsResolver(file, lines, errors);
        var globalEncryption = uploads.Encryption(doc.Sse, doc.SseKmsKeyId, doc.SseCustomerKeyFile, "");
        var globalAcl = uploads.Acl(doc.Acl, "");
        var globalHeaders = uploads.Headers(doc.Headers, "");
        var globalProfile = uploads.Profile(doc.Profile, "");

        var sites = new List<Site>();
        if (doc.Sites is null || doc.Sites.Count == 0)
            errors.Add(lines.Has("sites") ? Err("sites", "the list is empty; give at least one site") : new ConfigError(file, 0, 0, "sites", "missing: give at least one site"));

        for (var i = 0; i < (doc.Sites?.Count ?? 0); i++)
        {
            var s = doc.Sites![i] ?? new SiteDocument();
            var p = $"sites[{i}]";
            ConfigError SErr(string key, string message) => lines.ErrorAt($"{p}.{key}", message, p);

            if (string.IsNullOrWhiteSpace(s.LocalPath)) errors.Add(SErr("local_path", "missing: the local folder to sync is required"));
            else if (!Path.IsPathFullyQualified(s.LocalPath)) errors.Add(SErr("local_path", $"'{s.LocalPath}' is relative; give an absolute path"));
            if (string.IsNullOrWhiteSpace(s.Bucket)) errors.Add(SErr("bucket", "missing: the bucket name is required"));
            else if (!IsValidBucket(s.Bucket)) errors.Add(SErr("bucket", $"'{s.Bucket}' is not a valid bucket name (3-63 characters: lowercase letters, digits, '.', '-', '_')"));
            var prefix = (s.BucketPath ?? "").Trim('/');
            if (prefix.Contains("//", StringComparison.Ordinal)) errors.Add(SErr("bucket_path", $"'{s.BucketPath}' has an empty path segment"));
            if (Encoding.UTF8.GetByteCount(prefix) > 512) errors.Add(SErr("bucket_path", "is longer than 512 bytes"));
            var storageClass = (s.StorageClass ?? Defaults.StorageClass).Trim();
            if (!StorageClasses.Contains(storageClass))
            {
                var hint = Closest(storageClass.ToUpperInvariant(), StorageClasses);
                errors.Add(SErr("storage_class", $"unknown storage class '{s.StorageClass}'" + (hint is null ? $" (valid: {string.Join(", ", StorageClasses)})" : $" (did you mean '{hint}'?)")));
            }
            SymlinkMode? mode = s.Symlinks?.Trim() switch { null or "skip" => SymlinkMode.Skip, "follow" => SymlinkMode.Follow, "preserve" => SymlinkMode.Preserve, _ => null };
            if (mode is null) errors.Add(SErr("symlinks", $"unknown value '{s.Symlinks}' (valid: skip, follow, preserve)"));
            var symlinks = mode ?? SymlinkMode.Skip;
            if (s.WatchInterval is < 0) errors.Add(SErr("watch_interval", $"must be 0 or more milliseconds, got {s.WatchInterval}"));
            WatchMode? watchMode = s.WatchMode?.Trim() switch { null or "auto" => Config.WatchMode.Auto, "inotify" => Config.WatchMode.Inotify, "poll" => Config.WatchMode.Poll, _ => null };
            if (watchMode is null) errors.Add(SErr("watch_mode", $"unknown value '{s.WatchMode}' (valid: auto, inotify, poll)"));
            CheckEndpoint(s.Endpoint, $"{p}.endpoint", errors, (k, m) => lines.ErrorAt(k, m, p));
            if ((s.AccessKey is null) != (s.SecretAccessKey is null))
                errors.Add(SErr(s.AccessKey is null ? "secret_access_key" : "access_key", "access_key and secret_access_key go together; give both or neither"));
            var limit = ParseLimit(s.MaxDelete, $"{p}.max_delete", errors, (k, m) => lines.ErrorAt(k, m, p)) ?? globalLimit;
            var exclusions = CompileAll(s.Exclusions, $"{p}.exclusions", errors, lines);
            var inclusions = CompileAll(s.Inclusions, $"{p}.inclusions", errors, lines);
            var encryption = s.Sse is null && s.SseKmsKeyId is null && s.SseCustomerKeyFile is null
                ? globalEncryption
                : uploads.Encryption(s.Sse, s.SseKmsKeyId, s.SseCustomerKeyFile, p);
            var acl = s.Acl is null ? globalAcl : uploads.Acl(s.Acl, p);
            var headers = s.Headers is null ? globalHeaders : uploads.Headers(s.Headers, p);
            if (s.HeaderFlags is { } flags) headers = new HeaderRules(headers.Rules, uploads.Fields(flags, $"{p}.header_flags"));
            var profile = s.Profile is null ? globalProfile : uploads.Profile(s.Profile, p);
            var backupPath = s.BackupPath?.Trim('/');
            if (backupPath is { Length: 0 }) errors.Add(SErr("backup_path", "is empty; give a prefix in the bucket (like backup/www) or leave the key out"));
            else if (backupPath is not null && backupPath.Contains("//", StringComparison.Ordinal)) errors.Add(SErr("backup_path", $"'{s.BackupPath}' has an empty path segment"));
            var backupClass = s.BackupStorageClass?.Trim();
            if (backupClass is not null && !StorageClasses.Contains(backupClass))
                errors.Add(SErr("backup_storage_class", $"unknown storage class '{s.BackupStorageClass}' (valid: {string.Join(", ", StorageClasses)})"));
            TimeSpan? keep = null;
            if (s.BackupKeep is { } keepText)
            {
                if (!TryParseKeep(keepText, out var period)) errors.Add(SErr("backup_keep", $"'{keepText}' is not a period (a whole number with s, m, h or d, like 30d)"));
                else if (backupPath is null) errors.Add(SErr("backup_keep", "needs backup_path: there is no backup to keep"));
                else keep = period;
            }
            if (backupClass is not null && backupPath is null) errors.Add(SErr("backup_storage_class", "needs backup_path: there is no backup to store"));

            var access = s.AccessKey ?? doc.AccessKey;
            var secret = s.SecretAccessKey ?? doc.SecretAccessKey;
            var endpoint = s.Endpoint ?? doc.Endpoint;
            sites.Add(new Site
            {
                Name = SiteName(s),
                LocalPath = s.LocalPath is null ? "" : Path.TrimEndingDirectorySeparator(s.LocalPath),
                Bucket = s.Bucket ?? "",
                Prefix = prefix,
                Region = s.BucketRegion ?? doc.AwsRegion,
                Endpoint = endpoint?.TrimEnd('/'),
                ForcePathStyle = s.ForcePathStyle ?? doc.ForcePathStyle ?? endpoint is not null,
                RetireDeleted = s.RetireDeleted ?? false,
                CreateBucket = s.CreateBucket ?? false,
                StorageClass = storageClass,
                Credentials = access is not null && secret is not null ? new StaticCredentials(access, secret) : null,
                WatchInterval = s.WatchInterval ?? doc.WatchInterval ?? Defaults.WatchIntervalMs,
                MaxDelete = limit,
                Filter = new PathFilter(inclusions, exclusions),
                Symlinks = symlinks,
                WatchMode = watchMode ?? Config.WatchMode.Auto,
                Folders = s.Folders ?? true,
                Metadata = s.Metadata ?? true,
                Encryption = encryption,
                Acl = acl,
                Headers = headers,
                Profile = profile,
                BackupPath = backupPath is { Length: > 0 } ? backupPath : null,
                BackupStorageClass = backupClass,
                BackupKeep = keep,
            });
        }

        CheckOverlaps(sites, errors, lines);
        if (errors.Count > 0) throw new ConfigException([.. errors.OrderBy(e => e.Line)]);

        return new SyncConfig
        {
            SourceFile = file,
            LogLevel = logLevel,
            UploadWorkers = doc.UploadWorkers ?? Defaults.UploadWorkers,
            WorkersFixed = doc.UploadWorkers is not null,
            UploadQueueBuffer = doc.UploadQueueBuffer ?? 0,
            WatchInterval = doc.WatchInterval ?? Defaults.WatchIntervalMs,
            S3OpsRetries = doc.S3OpsRetries ?? Defaults.S3OpsRetries,
            RequestTimeout = doc.RequestTimeout,
            RescanInterval = doc.RescanInterval ?? Defaults.RescanIntervalSeconds,
            HttpPort = doc.HttpPort,
            HttpAddress = doc.HttpAddress ?? "127.0.0.1",
            StateDir = doc.StateDir,
            Shard = shard,
            BandwidthLimit = bandwidth,
            Sites = sites,
        };
    }

    /// <summary>The name a site goes by: its <c>name</c>, else <c>bucket/bucket_path</c> (the bucket alone at its root).</summary>
    public static string SiteName(SiteDocument s)
    {
        if (!string.IsNullOrWhiteSpace(s.Name)) return s.Name.Trim();
        var prefix = (s.BucketPath ?? "").Trim('/');
        return prefix.Length == 0 ? s.Bucket ?? "" : $"{s.Bucket}/{prefix}";
    }

    public static bool TryParseLogLevel(string text, out LogVerbosity level)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "trace": level = LogVerbosity.Trace; return true;
            case "debug": level = LogVerbosity.Debug; return true;
            case "info": level = LogVerbosity.Info; return true;
            case "warn" or "warning": level = LogVerbosity.Warn; return true;
            case "error": level = LogVerbosity.Error; return true;
            case "fatal": level = LogVerbosity.Fatal; return true;
            case "panic": level = LogVerbosity.Panic; return true;
            default: level = LogVerbosity.Info; return false;
        }
    }

    private static void CheckEndpoint(string? endpoint, string key, List<ConfigError> errors, Func<string, string, ConfigError> err)
    {
        if (endpoint is null) return;
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https") || uri.Host.Length == 0)
            errors.Add(err(key, uri is { UserInfo.Length: > 0 } || endpoint.Contains('@', StringComparison.Ordinal)
                ? "is not an http:// or https:// URL, and must not hold credentials either" // never echo what may be a secret
                : $"'{endpoint}' is not an http:// or https:// URL"));
        else if (uri.UserInfo.Length > 0)
            errors.Add(err(key, "must not hold credentials; use access_key and secret_access_key"));
    }

    private static DeleteLimit? ParseLimit(string? text, string key, List<ConfigError> errors, Func<string, string, ConfigError> err)
    {
        if (text is null) return null;
        if (DeleteLimit.TryParse(text, out var limit)) return limit;
        errors.Add(err(key, DeleteLimit.Problem(text)));
        return null;
    }

    internal static List<Regex> CompileAll(List<string>? patterns, string key, List<ConfigError> errors, KeyLines lines, bool indexed = true)
    {
        var result = new List<Regex>();
        for (var i = 0; i < (patterns?.Count ?? 0); i++)
        {
            var pattern = patterns![i];
            var at = indexed ? $"{key}[{i}]" : key;
            if (pattern is null) { errors.Add(lines.ErrorAt(at, "empty pattern")); continue; }
            try { result.Add(PathFilter.Compile(pattern)); }
            catch (RegexParseException e) { errors.Add(lines.ErrorAt(at, RegexError(pattern, e) + GlobHint(pattern))); }
            catch (ArgumentException e) { errors.Add(lines.ErrorAt(at, $"invalid regular expression '{pattern}': {e.Message}")); }
        }
        return result;
    }

    /// <summary>"invalid regular expression '(x': insufficient closing parentheses at offset 2".</summary>
    public static string RegexError(string pattern, RegexParseException e) =>
        $"invalid regular expression '{pattern}': {Words(e.Error.ToString())} at offset {e.Offset}";

    /// <summary>For a pattern that reads like a glob (<c>*.log</c>): the regular expression it most likely meant.</summary>
    internal static string GlobHint(string pattern) =>
        GlobPattern.LooksLikeGlob(pattern) ? $" (patterns are regular expressions; did you mean '{GlobPattern.SuggestRegex(pattern)}'?)" : "";

    /// <summary>"InsufficientClosingParentheses" to "insufficient closing parentheses".</summary>
    internal static string Words(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? " " : "") + char.ToLowerInvariant(c) : c.ToString()));

    internal static bool IsValidBucket(string bucket) =>
        bucket.Length is >= 3 and <= 63 && Regex.IsMatch(bucket, "^[a-z0-9][a-z0-9._-]*[a-z0-9]$", RegexOptions.CultureInvariant) && !bucket.Contains("..", StringComparison.Ordinal);

    /// <summary>
    /// Two sites on one bucket must not see each other's keys when either deletes: a site whose prefix holds
    /// the other's (or the bucket root) would remove the other's files as "deleted locally" (the seed's gotcha).
    /// Two sites on the very same prefix always fight, so that is refused too. Site names must be unique.
    /// </summary>
    private static void CheckOverlaps(List<Site> sites, List<ConfigError> errors, KeyLines lines)
    {
        for (var i = 0; i < sites.Count; i++)
        {
            // A backup place inside a site would be synced (and deleted) as the site's own files; a site inside a
            // backup place would see its files expired by backup_keep.
            if (sites[i].BackupPath is { } backup)
            {
                for (var j = 0; j < sites.Count; j++)
                {
                    var other = sites[j];
                    if (other.Bucket != sites[i].Bucket || StoreIdentity.Of(other) != StoreIdentity.Of(sites[i])) continue;
                    if (BackupOverlap(backup, other.Prefix) is { } why)
                        errors.Add(lines.ErrorAt($"sites[{i}].backup_path", j == i
                            ? $"s3://{other.Bucket}/{backup} {why} the site's own s3://{other.Bucket}/{other.Prefix}; give a prefix outside it (like backup/{(other.Prefix.Length == 0 ? "site" : other.Prefix)} beside a site that is not at the bucket root)"
                            : $"s3://{other.Bucket}/{backup} {why} s3://{other.Bucket}/{other.Prefix} (sites[{j}]); give each backup place a prefix of its own", $"sites[{i}]"));
                }
            }
            for (var j = 0; j < i; j++)
            {
                var (a, b) = (sites[j], sites[i]);
                if (a.Name == b.Name && a.Name.Length > 0)
                    errors.Add(lines.ErrorAt($"sites[{i}].name", $"site name '{b.Name}' is already used by sites[{j}]; give each site its own name", $"sites[{i}]"));
                // The same bucket spelled differently (127.0.0.1 and localhost/, a default port written out) is one bucket.
                if (a.Bucket != b.Bucket || StoreIdentity.Of(a) != StoreIdentity.Of(b)) continue;
                var same = a.Prefix == b.Prefix;
                var nested = Contains(a.Prefix, b.Prefix) || Contains(b.Prefix, a.Prefix);
                if (same)
                    errors.Add(lines.ErrorAt($"sites[{i}].bucket_path", $"sites[{j}] and sites[{i}] both sync to s3://{b.Bucket}/{b.Prefix}; each site needs its own prefix", $"sites[{i}]"));
                else if (nested && (a.RetireDeleted || b.RetireDeleted))
                    errors.Add(lines.ErrorAt($"sites[{i}].bucket_path", $"s3://{a.Bucket}/{a.Prefix} (sites[{j}]) and s3://{b.Bucket}/{b.Prefix} (sites[{i}]) overlap and one has retire_deleted, so it would delete the other's files; use prefixes that do not contain each other", $"sites[{i}]"));
            }
        }
    }

    /// <summary>How a backup prefix meets a site's prefix ("is", "contains", "is inside"), or null when they are apart.</summary>
    internal static string? BackupOverlap(string backup, string sitePrefix) =>
        backup == sitePrefix ? "is" : Contains(sitePrefix, backup) ? "is inside" : Contains(backup, sitePrefix) ? "contains" : null;

    /// <summary>A period for <c>backup_keep</c>: a whole number and a unit, s, m, h or d (<c>30d</c>).</summary>
    public static bool TryParseKeep(string text, out TimeSpan period)
    {
        period = default;
        text = text.Trim();
        if (text.Length < 2 || !long.TryParse(text[..^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n is <= 0 or > 100_000_000) return false;
        period = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            _ => TimeSpan.Zero,
        };
        return period > TimeSpan.Zero;
    }

    private static bool Contains(string outer, string inner) =>
        outer.Length == 0 || inner.StartsWith(outer + "/", StringComparison.Ordinal);
}
