namespace S3Sync.Config;

/// <summary>
/// What the walk does with a symbolic link (site key <c>symlinks</c>, flag <c>--symlinks</c>).
/// <list type="table">
/// <item><term><c>skip</c> (default)</term><description>not uploaded; counted in one warning per run.</description></item>
/// <item><term><c>follow</c></term><description>the target's content is uploaded under the link's key (a linked folder
/// is walked); a link that leaves <c>local_path</c>, loops, or dangles is refused (counted in the warning).</description></item>
/// <item><term><c>preserve</c></term><description>stored as a small object whose body and <c>s3sync-symlink</c> metadata
/// are the target; restore makes it a link again.</description></item>
/// </list>
/// The default is <c>skip</c>: it is what earlier versions did (a bucket does not change on upgrade), <c>follow</c> can
/// publish what lies outside the folder (a link to <c>/etc/shadow</c> in a web root) and <c>preserve</c> puts objects a
/// website or another tool would serve as text. Backups should say <c>preserve</c>.
/// </summary>
public enum SymlinkMode { Skip, Follow, Preserve }
