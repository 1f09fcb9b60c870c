
namespace S3Sync.Execution;

/// <summary>A failure outside any action: a file that could not be read (<paramref name="Key"/>, or the path when
/// it is not below the site's folder), or the whole site (null: the listing failed, the folder is missing, a safety rule).</summary>
public sealed record SiteProblem(string? Key, string Message);
