using System.CommandLine;
using S3Sync.Config;
using S3Sync.Planning;

namespace S3Sync.Cli.Commands;

/// <summary>
/// Flags of <c>sync</c> that users type from habit (aws s3 sync, rclone, s5cmd), each doing what the peer's flag does
/// (README, "Flags from other tools"). <c>--checksum</c> and <c>--exact-timestamps</c> are accepted without effect:
/// both ask the tool not to miss a same-size change, and s3sync compares content always, so the user already has what
/// the flag asks for; refusing them would only break scripts moved from the peers.
/// The aliases live on the options they alias (<c>--only-show-errors</c> on <c>--quiet</c>, <c>--transfers</c> on
/// <c>--workers</c>, <c>--follow-symlinks</c> beside <c>--symlinks</c>).
/// </summary>
public sealed class PeerOptions
{
    public Option<bool> SizeOnly { get; } = new("--size-only") { Description = "Compare by size alone, reading nothing: faster, but a file edited without changing its size is NOT uploaded (aws, rclone, s5cmd)" };
    public Option<bool> Checksum { get; } = new("--checksum") { Description = "Accepted, no effect: s3sync always compares content (MD5 and ETags), which is what rclone's --checksum asks for" };
    public Option<bool> ExactTimestamps { get; } = new("--exact-timestamps") { Description = "Accepted, no effect: s3sync compares content, so a same-size change is found without timestamps (aws)" };
    public Option<bool> Progress { get; } = new("--progress", "-P") { Description = "Show progress: the live line on a terminal, a line a second otherwise (logs, pipes)" };
    public Option<bool> NoProgress { get; } = new("--no-progress") { Description = "No progress line, even on a terminal" };
    public Option<string?> Stats { get; } = new("--stats") { Description = "Write a progress line every DURATION (e.g. 30s, 5m), on a terminal too (rclone)", HelpName = "DURATION" };
    public Option<string?> MaxAge { get; } = new("--max-age") { Description = "Only files modified within DURATION (e.g. 24h, 7d); older files are not compared and their keys are never deleted (rclone)", HelpName = "DURATION" };
    public Option<bool> DeleteExcluded { get; } = new("--delete-excluded") { Description = "With --delete: also delete objects the filters exclude (rclone); without it excluded keys are left alone" };

    public void AddTo(Command command)
    {
        command.Options.Add(SizeOnly);
        command.Options.Add(Checksum);
        command.Options.Add(ExactTimestamps);
        command.Options.Add(Progress);
        command.Options.Add(NoProgress);
        command.Options.Add(Stats);
        command.Options.Add(MaxAge);
        command.Options.Add(DeleteExcluded);
    }

    /// <summary>What the flags ask for, checked: false after one line per mistake.</summary>
    public bool TryRead(ParseResult result, SyncConfig config, TimeProvider time, TextWriter error, out PeerChoices choices)
    {
        choices = new PeerChoices();
        var ok = true;
        if (result.GetValue(SizeOnly) && result.GetValue(Checksum))
        {
            error.WriteLine("s3sync: --size-only and --checksum contradict each other: s3sync compares content unless --size-only is given; drop one");
            ok = false;
        }
        if (result.GetValue(Progress) && result.GetValue(NoProgress))
        {
            error.WriteLine("s3sync: --progress and --no-progress contradict each other: drop one");
            ok = false;
        }
        TimeSpan? stats = null;
        if (result.GetValue(Stats) is { } statsText)
        {
            var parsed = DurationText.TryParse(statsText, out var every, out var why);
            if (parsed && every < TimeSpan.FromMilliseconds(100)) (parsed, why) = (false, $"'{statsText}' is less than 100ms");
            if (parsed) stats = every;
            else
            {
                error.WriteLine($"s3sync: --stats: {why}");
                ok = false;
            }
        }
        DateTime? since = null;
        if (result.GetValue(MaxAge) is { } ageText)
        {
            if (DurationText.TryParse(ageText, out var age, out var why)) since = time.GetUtcNow().UtcDateTime - age;
            else
            {
                error.WriteLine($"s3sync: --max-age: {why}");
                ok = false;
            }
        }
        var deleteExcluded = result.GetValue(DeleteExcluded);
        if (deleteExcluded && config.Sites.Any(s => !s.RetireDeleted))
        {
            // rclone's sync always deletes; s3sync only with --delete (or retire_deleted), and this flag does not turn it on.
            error.WriteLine("s3sync: --delete-excluded deletes only where deletion is on: add --delete (or retire_deleted: true to the site)");
            ok = false;
        }
        choices = new PeerChoices(result.GetValue(SizeOnly) ? ComparisonPolicy.SizeOnly : ComparisonPolicy.Content,
            result.GetValue(Progress), result.GetValue(NoProgress), stats, since, deleteExcluded);
        return ok;
    }
}
