using System.CommandLine;
using S3Sync.Planning;

namespace S3Sync.Cli.Commands;

/// <summary>The checked values of <see cref="PeerOptions"/>.</summary>
public sealed record PeerChoices(ComparisonPolicy Comparison = ComparisonPolicy.Content, bool Progress = false, bool NoProgress = false,
    TimeSpan? StatsEvery = null, DateTime? ModifiedSince = null, bool DeleteExcluded = false);
