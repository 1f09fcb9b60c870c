using System.CommandLine;
using S3Sync.Config;

namespace S3Sync.Cli.Commands;

/// <summary>
/// The flags that mirror site keys of the configuration file. They are applied to the <see cref="ConfigDocument"/>
/// before <see cref="ConfigLoader.Resolve"/>, so a value given as a flag is checked exactly like the same value in a file.
/// With a file they override the key in every selected site (flags win); the filters are <see cref="FilterOptions"/>.
/// In the ad-hoc form (no file) they are the only source of settings besides the environment.
/// </summary>
public sealed class SiteOverrides
{
    public Option<string?> Endpoint { get; } = new("--endpoint") { Description = "S3 endpoint URL, for S3-compatible stores (key: endpoint)", HelpName = "URL" };
    public Option<string?> Region { get; } = new("--region") { Description = "Bucket region (key: bucket_region)", HelpName = "REGION" };
    public Option<string?> StorageClass { get; } = new("--storage-class") { Description = "Storage class of uploads, e.g. STANDARD_IA (key: storage_class)", HelpName = "CLASS" };
    public Option<bool> Delete { get; } = new("--delete") { Description = "Delete objects whose file is gone (key: retire_deleted; --delete false turns it off)" };
    public Option<bool> ForcePathStyle { get; } = new("--force-path-style") { Description = "Path-style requests (key: force_path_style; default: on with an endpoint)" };
    public Option<string?> Symlinks { get; } = new("--symlinks") { Description = "Symbolic links: skip (default), follow, or preserve them as links (key: symlinks)", HelpName = "MODE" };
    public Option<string?> Name { get; } = new("--name") { Description = "Site name in logs and reports (key: name; default BUCKET/PREFIX)", HelpName = "NAME" };

    public SiteOverrides() => StorageClass.CompletionSources.Add([.. ConfigLoader.StorageClasses]);

    public void AddTo(Command command)
    {
        command.Options.Add(Endpoint);
        command.Options.Add(Region);
        command.Options.Add(StorageClass);
        command.Options.Add(Delete);
        command.Options.Add(ForcePathStyle);
        command.Options.Add(Name);
        command.Options.Add(Symlinks);
    }

    /// <summary>
    /// Sets every given flag on the sites whose index is in <paramref name="selected"/>. Returns, per site key path
    /// (<c>sites[0].storage_class</c>), the flag that set it, so errors can name the flag.
    /// </summary>
    public Dictionary<string, string> Apply(ParseResult result, ConfigDocument document, IReadOnlyCollection<int> selected)
    {
        var origin = new Dictionary<string, string>(StringComparer.Ordinal);
        var sites = document.Sites ?? [];
        foreach (var i in selected)
        {
            var site = sites[i];
            var p = $"sites[{i}]";
            void Set(string key, string flag) => origin[$"{p}.{key}"] = flag;
            if (result.GetValue(Endpoint) is { } endpoint) { site.Endpoint = endpoint; Set("endpoint", "--endpoint"); }
            if (result.GetValue(Region) is { } region) { site.BucketRegion = region; Set("bucket_region", "--region"); }
            if (result.GetValue(StorageClass) is { } storageClass) { site.StorageClass = storageClass; Set("storage_class", "--storage-class"); }
            if (result.GetResult(Delete) is { Implicit: false }) { site.RetireDeleted = result.GetValue(Delete); Set("retire_deleted", "--delete"); }
            if (result.GetResult(ForcePathStyle) is { Implicit: false }) { site.ForcePathStyle = result.GetValue(ForcePathStyle); Set("force_path_style", "--force-path-style"); }
            if (result.GetValue(Name) is { } name) { site.Name = name; Set("name", "--name"); }
            if (result.GetValue(Symlinks) is { } symlinks) { site.Symlinks = symlinks; Set("symlinks", "--symlinks"); }
        }
        return origin;
    }

    /// <summary>
    /// An error as the user should read it: a key set by a flag is named by the flag, without the file's line
    /// (<c>--storage-class: unknown storage class 'X'</c>); any other stays as the loader wrote it.
    /// </summary>
    public static string Describe(ConfigError error, IReadOnlyDictionary<string, string> origin)
    {
        if (origin.TryGetValue(error.Key, out var flag)) return $"{flag}: {error.Message}";
        return error.ToString();
    }
}
