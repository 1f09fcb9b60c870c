namespace S3Sync.Config;

/// <summary>
/// How <c>watch</c> sees the changes under a site's local_path (site key <c>watch_mode</c>).
/// <list type="table">
/// <item><term><c>auto</c> (default)</term><description>inotify, except on a network or FUSE file system (NFS, CIFS/SMB,
/// FUSE, 9p, Ceph, ...; by <c>statfs</c>'s f_type), where inotify sees only the changes made through this kernel: there
/// it polls, and says so at start.</description></item>
/// <item><term><c>inotify</c></term><description>always inotify (a network share written only from this machine).</description></item>
/// <item><term><c>poll</c></term><description>always polling: every <c>watch_interval</c> a stat-only walk of the tree,
/// compared with the last one; what changed goes through the same schedule, uploads and delete guard as events.</description></item>
/// </list>
/// </summary>
public enum WatchMode { Auto, Inotify, Poll }
