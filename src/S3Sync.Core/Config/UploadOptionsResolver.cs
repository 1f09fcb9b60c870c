using System.Text;

namespace S3Sync.Config;

/// <summary>
/// Checks and resolves the keys that shape what an upload sends (<c>sse</c>, <c>sse_kms_key_id</c>,
/// <c>sse_customer_key_file</c>, <c>acl</c>, <c>headers</c>, <c>profile</c>), at the top level (<paramref name="file"/>'s
/// globals, prefix "") or in a site (prefix <c>sites[N]</c>). Every problem is added to <paramref name="errors"/> at its
/// key's line. The SSE-C key is read here, so a missing or short key file fails the load (exit 2), not the first upload.
/// </summary>
internal sealed class UploadOptionsResolver(string file, KeyLines lines, List<ConfigError> errors)
{
    /// <summary>An SSE-C key file larger than this is not a key file.</summary>
    private const int MaxKeyFileBytes = 1024;

    /// <summary>User metadata S3 keeps is at most 2 KiB; s3sync's own names need room too.</summary>
    private const int MaxRuleMetadataBytes = 1536;

    private void Error(string prefix, string key, string message) =>
        errors.Add(lines.ErrorAt(prefix.Length == 0 ? key : $"{prefix}.{key}", message, prefix.Length == 0 ? null : prefix));

    public Encryption Encryption(string? sse, string? kmsKeyId, string? customerKeyFile, string prefix)
    {
        var mode = EncryptionMode.None;
        if (sse is not null)
        {
            switch (sse.Trim().ToLowerInvariant())
            {
                case "aes256": mode = EncryptionMode.S3; break;
                case "aws:kms": mode = EncryptionMode.Kms; break;
                case "aws:kms:dsse": mode = EncryptionMode.KmsDsse; break;
                case "none" or "off": mode = EncryptionMode.None; break;
                default:
                    Error(prefix, "sse", $"unknown encryption '{sse}' (valid: AES256, aws:kms, aws:kms:dsse, none; for SSE-C give sse_customer_key_file)");
                    return Config.Encryption.None;
            }
        }
        if (kmsKeyId is not null)
        {
            if (mode is not (EncryptionMode.Kms or EncryptionMode.KmsDsse))
                Error(prefix, "sse_kms_key_id", "needs sse: aws:kms or aws:kms:dsse");
            else if (kmsKeyId.Trim().Length == 0 || kmsKeyId.Any(char.IsControl))
                Error(prefix, "sse_kms_key_id", "must be a KMS key id, ARN or alias");
        }
        if (customerKeyFile is null)
            return new Encryption { Mode = mode, KmsKeyId = mode is EncryptionMode.Kms or EncryptionMode.KmsDsse ? kmsKeyId?.Trim() : null };
        if (sse is not null && mode != EncryptionMode.None)
        {
            Error(prefix, "sse_customer_key_file", $"SSE-C and sse: {sse} exclude each other; give one");
            return Config.Encryption.None;
        }
        var path = customerKeyFile.Trim();
        if (!Path.IsPathRooted(path))
            path = Path.GetFullPath(Path.Combine(File.Exists(file) ? Path.GetDirectoryName(Path.GetFullPath(file))! : Directory.GetCurrentDirectory(), path));
        var key = ReadKey(path, out var why);
        if (key is null)
        {
            Error(prefix, "sse_customer_key_file", $"{path}: {why}");
            return Config.Encryption.None;
        }
        return new Encryption { Mode = EncryptionMode.Customer, CustomerKeyFile = path, CustomerKey = key };
    }

    /// <summary>
    /// A 256-bit key: the file holds 32 bytes, or the key as base64 (44 characters) or hex (64) text, surrounding
    /// whitespace allowed. Messages never show what the file holds.
    /// </summary>
    internal static byte[]? ReadKey(string path, out string why)
    {
        var bytes = UserFile.TryRead(path, "an SSE-C key file (32 bytes, raw or as base64 or hex text)", MaxKeyFileBytes, out why);
        if (bytes is null) return null;
        if (bytes.Length == 32) return bytes;
        var text = Encoding.ASCII.GetString(bytes).Trim();
        if (text.Length == 64 && text.All(Uri.IsHexDigit)) return Convert.FromHexString(text);
        var decoded = new byte[48];
        if (Convert.TryFromBase64String(text, decoded, out var n) && n == 32) return decoded[..32];
        why = bytes.Length < 32
            ? $"holds {bytes.Length} bytes; an SSE-C key is 32 bytes (raw, or as base64 or hex text)"
            : "is not a 32-byte key (raw, or as base64 or hex text)";
        return null;
    }

    public string? Acl(string? acl, string prefix)
    {
        if (acl is null) return null;
        var value = acl.Trim().ToLowerInvariant();
        if (ConfigLoader.CannedAcls.Contains(value)) return value;
        var hint = ConfigLoader.Closest(value, ConfigLoader.CannedAcls);
        Error(prefix, "acl", $"unknown canned ACL '{acl}'" + (hint is null ? $" (valid: {string.Join(", ", ConfigLoader.CannedAcls)})" : $" (did you mean '{hint}'?)"));
        return null;
    }

    public string? Profile(string? profile, string prefix)
    {
        if (profile is null) return null;
        var name = profile.Trim();
        if (name.Length == 0 || name.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c is '[' or ']'))
        {
            Error(prefix, "profile", $"'{profile}' is not a profile name");
            return null;
        }
        return name;
    }

    public HeaderRules Headers(List<HeaderRuleDocument>? rules, string prefix)
    {
        if (rules is null) return HeaderRules.None;
        var list = new List<HeaderRule>();
        var key = prefix.Length == 0 ? "headers" : $"{prefix}.headers";
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            var at = $"{key}[{i}]";
            if (rule is null) { errors.Add(lines.ErrorAt(at, "empty rule; give match: and at least one header", prefix)); continue; }
            var before = errors.Count;
            var fields = Fields(rule, at);
            if (rule.Match is null) { errors.Add(lines.ErrorAt($"{at}.match", "missing: each rule needs a match (a regular expression on the relative path)", at)); continue; }
            if (fields.IsEmpty && errors.Count == before) { errors.Add(lines.ErrorAt(at, "sets nothing: give content_type, cache_control, content_encoding, content_disposition or metadata", prefix)); continue; }
            var compiled = ConfigLoader.CompileAll([rule.Match], $"{at}.match", errors, lines, indexed: false);
            if (compiled.Count == 1) list.Add(new HeaderRule(compiled[0], fields));
        }
        return new HeaderRules(list);
    }

    /// <summary>Checks the header fields of a rule (or of the flags) at <paramref name="at"/>.</summary>
    public HeaderSet Fields(HeaderRuleDocument rule, string at)
    {
        string? Value(string name, string? value)
        {
            if (value is null) return null;
            var v = value.Trim();
            if (v.Length == 0) { errors.Add(lines.ErrorAt($"{at}.{name}", "is empty", at)); return null; }
            if (v.Any(c => c < ' ' || c == '\x7f')) { errors.Add(lines.ErrorAt($"{at}.{name}", "must not hold control characters (line breaks, tabs)", at)); return null; }
            if (v.Any(c => c > '~')) { errors.Add(lines.ErrorAt($"{at}.{name}", $"'{v}' holds characters outside ASCII, which an HTTP header cannot carry", at)); return null; }
            return v;
        }
        var contentType = Value("content_type", rule.ContentType);
        if (contentType is not null && !IsMediaType(contentType))
        {
            errors.Add(lines.ErrorAt($"{at}.content_type", $"'{contentType}' is not a media type (like text/html; charset=utf-8)", at));
            contentType = null;
        }
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var bytes = 0;
        foreach (var (rawName, rawValue) in rule.Metadata ?? [])
        {
            var name = (rawName ?? "").Trim().ToLowerInvariant();
            var where = $"{at}.metadata.{rawName}";
            if (!IsMetadataName(name)) { errors.Add(lines.ErrorAt(where, $"'{rawName}' is not a metadata name (letters, digits, '-', '_', '.')", at)); continue; }
            if (name.StartsWith("s3sync-", StringComparison.Ordinal) || name is "md5chksum" or "mtime" or "s3cmd-attrs")
            {
                errors.Add(lines.ErrorAt(where, $"'{name}' is a name s3sync or another tool uses for itself; pick another", at));
                continue;
            }
            if (Value($"metadata.{rawName}", rawValue ?? "") is not { } value) continue;
            if (!metadata.TryAdd(name, value)) { errors.Add(lines.ErrorAt(where, $"'{name}' given twice (names are not case-sensitive)", at)); continue; }
            bytes += name.Length + value.Length;
        }
        if (bytes > MaxRuleMetadataBytes)
            errors.Add(lines.ErrorAt($"{at}.metadata", $"holds {bytes} bytes; at most {MaxRuleMetadataBytes} fit in an object's metadata next to s3sync's own", at));
        return new HeaderSet
        {
            ContentType = contentType,
            CacheControl = Value("cache_control", rule.CacheControl),
            ContentEncoding = Value("content_encoding", rule.ContentEncoding),
            ContentDisposition = Value("content_disposition", rule.ContentDisposition),
            Metadata = metadata,
        };
    }

    // Hand-written rather than [GeneratedRegex]: each generated matcher costs kilobytes of the size-limited binary.

    /// <summary>type/subtype (RFC 6838 name characters), then optional parameters after ';'.</summary>
    internal static bool IsMediaType(string value)
    {
        var semicolon = value.IndexOf(';', StringComparison.Ordinal);
        var type = (semicolon < 0 ? value : value[..semicolon]).TrimEnd();
        var slash = type.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && IsName(type[..slash]) && IsName(type[(slash + 1)..]);

        static bool IsName(string part) =>
            part.Length > 0 && char.IsAsciiLetterOrDigit(part[0]) && part.All(c => char.IsAsciiLetterOrDigit(c) || "!#$&^_.+-".Contains(c, StringComparison.Ordinal));
    }

    /// <summary>Lowercase letters, digits, '.', '_' and '-', starting with a letter or digit.</summary>
    internal static bool IsMetadataName(string name) =>
        name.Length > 0 && (char.IsAsciiLetterLower(name[0]) || char.IsAsciiDigit(name[0]))
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-');
}
