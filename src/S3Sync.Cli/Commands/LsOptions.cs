using System.CommandLine;
using System.Runtime.CompilerServices;

namespace S3Sync.Cli.Commands;

/// <summary>What <c>s3sync ls</c> prints (the command line's choices).</summary>
/// <param name="Depth">Fold keys deeper than this many folders into their folder (null: every key).</param>
public sealed record LsOptions(bool Long, bool Json, bool Versions, DateTime? At, int? Depth);
