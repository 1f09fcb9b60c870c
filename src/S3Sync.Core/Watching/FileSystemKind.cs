using System.Collections.Frozen;
using System.Runtime.InteropServices;

namespace S3Sync.Watching;

/// <summary>
/// The file systems where inotify is blind to changes made by other machines (or by the FUSE daemon's own source):
/// network and FUSE file systems, told by <c>statfs(2)</c>'s <c>f_type</c>. <c>watch_mode: auto</c> polls them.
/// </summary>
public static partial class FileSystemKind
{
    private static readonly FrozenDictionary<uint, string> Blind = new Dictionary<uint, string>
    {
        [0x6969] = "NFS",
        [0x517B] = "SMB",
        [0xFE534D42] = "SMB2",
        [0xFF534D42] = "CIFS",
        [0x65735546] = "FUSE",
        [0x01021997] = "9p",
        [0x00C36400] = "Ceph",
        [0x5346414F] = "AFS",
        [0x6B414653] = "AFS",
        [0x73757245] = "Coda",
        [0x564C] = "NCP",
        [0x01161970] = "GFS2",
        [0x7461636F] = "OCFS2",
        [0x0BD00BD0] = "Lustre",
        [0x47504653] = "GPFS",
        [0x19830326] = "FhGFS/BeeGFS",
        [0x013111A8] = "IBRIX",
    }.ToFrozenDictionary();

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statfs(string path, byte* buffer);

    /// <summary>The file system type of <paramref name="path"/> (<c>f_type</c>), or null when it cannot be read.</summary>
    public static unsafe uint? TypeOf(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        // struct statfs is 120 bytes on 64-bit Linux (f_type, a long, first); room to spare.
        var buffer = stackalloc byte[256];
        if (statfs(path, buffer) != 0) return null;
        return (uint)*(long*)buffer;
    }

    /// <summary>The name of a file system type where inotify is blind (<c>"NFS"</c>), or null for a local one.</summary>
    public static string? BlindName(uint type) => Blind.GetValueOrDefault(type);

    /// <summary>The name of the file system of <paramref name="path"/> when inotify is blind there, else null.</summary>
    public static string? BlindAt(string path) => TypeOf(path) is { } type ? BlindName(type) : null;
}
