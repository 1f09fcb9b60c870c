using Amazon.Runtime.CredentialManagement;

namespace S3Sync.Config;

/// <summary>
/// The AWS tools' conventions the SDK does not apply by itself, filled in below the configuration file:
/// a site's own key wins, then the file's global key (or a flag), then these. The SDK alone honours
/// <c>AWS_REGION</c>, <c>AWS_PROFILE</c>'s region and credentials, the credential variables and the
/// container and instance roles, but not <c>AWS_DEFAULT_REGION</c>, <c>AWS_ENDPOINT_URL_S3</c>,
/// <c>AWS_ENDPOINT_URL</c> or a profile's <c>endpoint_url</c> (4.1.0 reads the variable yet still
/// sends to amazonaws.com). Setting them as the document's global values also means an endpoint from the
/// environment gets path-style requests and shows in <c>config check</c>, exactly like one in the file.
/// </summary>
public sealed class AwsEnvironment(Func<string, string?> variable, Func<string, CredentialProfile?> profile)
{
    /// <summary>The process's environment and the shared files <c>~/.aws/config</c> and <c>~/.aws/credentials</c>.</summary>
    public static AwsEnvironment FromProcess() => new(Environment.GetEnvironmentVariable, name =>
    {
        try
        {
            return new CredentialProfileStoreChain().TryGetProfile(name, out var p) ? p : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return null; // an unreadable profile file: the SDK will say what is wrong when it needs credentials
        }
    });

    /// <summary>
    /// The shared files the AWS SDK reads by name (<c>AWS_SHARED_CREDENTIALS_FILE</c>, else <c>~/.aws/credentials</c>;
    /// <c>AWS_CONFIG_FILE</c>, else <c>~/.aws/config</c>) are files a user names too: each one there must be what
    /// <see cref="UserFile"/> accepts (a regular file of at most 1 MiB), else the SDK would block on a FIFO or read
    /// <c>/dev/zero</c> until memory runs out. Null when they are fine (or absent); else one line naming the variable,
    /// the file and what is wrong.
    /// </summary>
    public static string? SharedFileProblem(Func<string, string?> variable)
    {
        var home = variable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        foreach (var (name, file) in new[] { ("AWS_SHARED_CREDENTIALS_FILE", "credentials"), ("AWS_CONFIG_FILE", "config") })
        {
            var given = variable(name) is { Length: > 0 } v ? v : null;
            var path = given ?? Path.Combine(home, ".aws", file);
            if (UserFile.TryRead(path, $"an AWS {file} file", UserFile.MaxBytes, out var why) is null && !why.StartsWith("no such file", StringComparison.Ordinal))
                return $"{(given is null ? "" : name + ": ")}{path}: {why}";
        }
        return null;
    }

    /// <summary><see cref="SharedFileProblem(Func{string, string?})"/> of this environment's variables.</summary>
    public string? SharedFileProblem() => SharedFileProblem(variable);

    /// <summary>The profile in use: <c>AWS_PROFILE</c>, else <c>default</c>.</summary>
    public string ProfileName => Value("AWS_PROFILE") ?? "default";

    private string? Value(string name) => NonEmpty(variable(name));

    /// <summary>A variable's value trimmed, or null when it is unset, empty or blank: a blank one counts as unset.</summary>
    public static string? NonEmpty(string? value) => value?.Trim() is { Length: > 0 } v ? v : null;

    /// <summary>
    /// Fills the document's unset global <c>endpoint</c> and <c>aws_region</c> from the environment and the
    /// profile. Returns where each filled key came from (<c>endpoint</c> to <c>AWS_ENDPOINT_URL_S3</c>).
    /// </summary>
    public Dictionary<string, string> Apply(ConfigDocument document) => Apply(document, []);

    /// <summary>
    /// As above, and the <c>profile</c> keys: the global one (else <c>AWS_PROFILE</c>) stands in for the default
    /// profile; a site's own profile gives that site its region and endpoint when neither the file, a flag nor the
    /// environment does (the AWS CLI's order). A profile named in the file or by <c>--profile</c> that exists in
    /// neither shared file is added to <paramref name="problems"/> (key path, message).
    /// </summary>
    public Dictionary<string, string> Apply(ConfigDocument document, List<(string Key, string Message)> problems)
    {
        var origin = new Dictionary<string, string>(StringComparer.Ordinal);
        CredentialProfile? loaded = null;
        var looked = false;
        var profileName = NonEmpty(document.Profile) ?? ProfileName;
        CredentialProfile? Profile()
        {
            if (!looked) { loaded = profile(profileName); looked = true; }
            return loaded;
        }
        if (NonEmpty(document.Profile) is not null && Profile() is null)
            problems.Add(("profile", $"no profile '{profileName}' in ~/.aws/config or ~/.aws/credentials"));
        var (fileEndpoint, fileRegion) = (document.Endpoint, document.AwsRegion);

        var ignoreEndpoints = string.Equals(Value("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true", StringComparison.OrdinalIgnoreCase);
        if (document.Endpoint is null && !ignoreEndpoints)
        {
            if (Value("AWS_ENDPOINT_URL_S3") is { } s3) { document.Endpoint = s3; origin["endpoint"] = "AWS_ENDPOINT_URL_S3"; }
            else if (Value("AWS_ENDPOINT_URL") is { } any) { document.Endpoint = any; origin["endpoint"] = "AWS_ENDPOINT_URL"; }
            else if (Profile() is { IgnoreConfiguredEndpointUrls: not true, EndpointUrl: { Length: > 0 } url })
            {
                document.Endpoint = url;
                origin["endpoint"] = $"profile {profileName} endpoint_url";
            }
        }
        if (document.AwsRegion is null)
        {
            if (Value("AWS_REGION") is { } region) { document.AwsRegion = region; origin["aws_region"] = "AWS_REGION"; }
            else if (Value("AWS_DEFAULT_REGION") is { } fallback) { document.AwsRegion = fallback; origin["aws_region"] = "AWS_DEFAULT_REGION"; }
            else if (Profile()?.Region?.SystemName is { Length: > 0 } fromProfile)
            {
                document.AwsRegion = fromProfile;
                origin["aws_region"] = $"profile {profileName} region";
            }
        }
        var envEndpoint = !ignoreEndpoints && (Value("AWS_ENDPOINT_URL_S3") ?? Value("AWS_ENDPOINT_URL")) is not null;
        var envRegion = (Value("AWS_REGION") ?? Value("AWS_DEFAULT_REGION")) is not null;
        var sites = document.Sites ?? [];
        for (var i = 0; i < sites.Count; i++)
        {
            if (sites[i] is not { } site || NonEmpty(site.Profile) is not { } own) continue;
            var p = own == profileName ? Profile() : profile(own);
            if (p is null)
            {
                problems.Add(($"sites[{i}].profile", $"no profile '{own}' in ~/.aws/config or ~/.aws/credentials"));
                continue;
            }
            if (site.Endpoint is null && fileEndpoint is null && !envEndpoint && !ignoreEndpoints && p is { IgnoreConfiguredEndpointUrls: not true, EndpointUrl: { Length: > 0 } url })
            {
                site.Endpoint = url;
                origin[$"sites[{i}].endpoint"] = $"profile {own} endpoint_url";
            }
            if (site.BucketRegion is null && fileRegion is null && !envRegion && p.Region?.SystemName is { Length: > 0 } region)
            {
                site.BucketRegion = region;
                origin[$"sites[{i}].bucket_region"] = $"profile {own} region";
            }
        }
        return origin;
    }

    /// <summary>Where a site without keys in the file gets its credentials, in words, for <c>config check</c>.</summary>
    public string CredentialSource(string? siteProfile = null)
    {
        if (siteProfile is not null) return $"profile {siteProfile} (~/.aws/credentials, ~/.aws/config)";
        if (Value("AWS_ACCESS_KEY_ID") is not null) return "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)";
        if (Value("AWS_PROFILE") is { } name) return $"profile {name} (~/.aws/credentials, ~/.aws/config)";
        return "the SDK's chain: default profile, web identity, container or instance role";
    }
}
