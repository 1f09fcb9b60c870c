using System.CommandLine;
using S3Sync.Config;
using S3Sync.Hashing;
using S3Sync.State;

namespace S3Sync.Cli.Commands;

/// <summary>The state folder's flags of sync, verify and restore (the hash cache, and the shard that owns its own).</summary>
public sealed class CacheOptions
{
    public Option<string?> StateDir { get; } = new("--state-dir") { Description = "Folder of the hash cache (overrides state_dir; default $XDG_STATE_HOME/s3sync or ~/.local/state/s3sync)", HelpName = "DIR" };
    public Option<bool> Rehash { get; } = new("--rehash") { Description = "Read and hash every file compared, ignoring (and rewriting) the hash cache" };

    public Option<string?> Shard { get; } = new("--shard") { Description = "Run only part K of N of every site, K from 0 (e.g. $JOB_COMPLETION_INDEX/4): a top-level folder, or a file at the root, belongs to one part; the part's state has its own folder (overrides shard)", HelpName = "K/N" };

    public void AddTo(Command command)
    {
        command.Options.Add(StateDir);
        command.Options.Add(Rehash);
        command.Options.Add(Shard);
    }

    /// <summary>
    /// <c>--state-dir</c>, then the shard (<c>--shard</c>, else the file's <c>shard</c>): each site keeps only its
    /// part (<see cref="PathFilter.WithShard"/>), and the state (hash cache, ledgers) moves to the part's own folder
    /// under state_dir, so shards on one machine share nothing. Null after one line on <paramref name="error"/>.
    /// </summary>
    public SyncConfig? Apply(ParseResult result, SyncConfig config, TextWriter error)
    {
        if (result.GetValue(StateDir) is { } stateDir) config = config with { StateDir = stateDir };
        var shard = config.Shard;
        if (result.GetValue(Shard) is { } text)
        {
            shard = Config.Shard.Parse(text, out var problem);
            if (shard is null)
            {
                error.WriteLine($"s3sync: --shard: {problem}");
                return null;
            }
        }
        return shard is { } part ? WithShard(config, part) : config;
    }

    /// <summary>The config run as shard <paramref name="part"/>.</summary>
    public static SyncConfig WithShard(SyncConfig config, Shard part) => config with
    {
        Shard = part,
        StateDir = Path.Combine(HashCache.ResolveDirectory(config.StateDir), part.StateFolderName),
        Sites = [.. config.Sites.Select(s => s with { Filter = s.Filter.WithShard(part) })],
    };
}
