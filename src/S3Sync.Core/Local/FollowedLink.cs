namespace S3Sync.Local;

/// <summary>
/// What a symbolic link leads to under <c>symlinks: follow</c>, decided on a handle of its target (opened <c>O_PATH</c>
/// by its folder's handle: no side effect, a FIFO does not block), never on a path that could be swapped: the target
/// must lie inside local_path (its real path below <paramref name="RootReal"/>). The walk (<see cref="LocalWalker"/>)
/// and <c>watch</c>'s one-key plans (<see cref="Planning.KeyPlanner"/>) both follow a link through this one check, so
/// an event is refused exactly where the walk refuses.
/// </summary>
/// <param name="Stat">What the target is (links followed).</param>
/// <param name="RealPath">A regular file's real path: its reads open that path and check <see cref="Stat"/>'s identity.</param>
/// <param name="Refusal">Why the link is not followed (dangles, loops, leads outside local_path), or null.</param>
internal sealed record FollowedLink(Posix.Statx Stat, string? RealPath, string? Refusal)
{
    /// <summary>Follows the link <paramref name="name"/> in the folder <paramref name="dirFd"/>.</summary>
    public static FollowedLink Open(int dirFd, byte[] name, string rootReal)
    {
        if (Posix.OpenPath(dirFd, name) is not { } fd) return Refused("it dangles or loops");
        try
        {
            if (!Posix.TryStat(fd, out var stat)) return Refused("it dangles or loops");
            if (Outside(fd, rootReal) is { } where) return new FollowedLink(stat, null, where);
            if (stat.Type != Posix.RegularFile) return new FollowedLink(stat, null, null);
            // The entry names the target's real path and identity: every read opens that path without following and
            // checks it is still this very file.
            return Posix.RealPath(fd) is { } real ? new FollowedLink(stat, real, null) : new FollowedLink(stat, null, "cannot tell where it leads");
        }
        finally
        {
            Posix.close(fd);
        }
    }

    /// <summary>Why an open handle (a followed link's target) is not inside local_path, or null when it is.</summary>
    public static string? Outside(int fd, string rootReal)
    {
        if (rootReal.Length == 0 || Posix.RealPath(fd) is not { } real) return "cannot tell where it leads (is /proc mounted?)";
        if (real == rootReal || rootReal == "/" || real.StartsWith(rootReal + "/", StringComparison.Ordinal)) return null;
        return $"its target {real} is outside local_path";
    }

    private static FollowedLink Refused(string why) => new(default, null, why);
}
