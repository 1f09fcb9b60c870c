using System.Runtime.InteropServices;

namespace S3Sync.Local;

/// <summary>User and group names and ids as the system resolves them (getpwuid_r and friends, so NSS sources such as
/// LDAP count too). Names by id are cached for the process: a tree holds few owners and many files.</summary>
public static unsafe partial class PosixAccounts
{
    private static readonly Dictionary<int, string?> Users = [], Groups = [];

    /// <summary>The user name of a uid (getpwuid_r, so NSS sources count too); null when there is none.</summary>
    public static string? UserName(int uid) => Cached(Users, uid, group: false);

    /// <summary>The group name of a gid (getgrgid_r); null when there is none.</summary>
    public static string? GroupName(int gid) => Cached(Groups, gid, group: true);

    private static string? Cached(Dictionary<int, string?> names, int id, bool group)
    {
        lock (names)
        {
            if (names.TryGetValue(id, out var known)) return known;
        }
        var name = Lookup(id, group);
        lock (names) names[id] = name;
        return name;
    }

    /// <summary>The uid of a user name, or null.</summary>
    public static int? UserId(string name) => LookupId(name, group: false);

    /// <summary>The gid of a group name, or null.</summary>
    public static int? GroupId(string name) => LookupId(name, group: true);

    private static string? Lookup(int id, bool group)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            // struct passwd and struct group both begin with `char *name`; 128 bytes cover either struct.
            var record = stackalloc byte[128];
            var buffer = new byte[16384];
            fixed (byte* buf = buffer)
            {
                nint result;
                var rc = group
                    ? Native.getgrgid_r((uint)id, record, buf, (nuint)buffer.Length, out result)
                    : Native.getpwuid_r((uint)id, record, buf, (nuint)buffer.Length, out result);
                if (rc != 0 || result == 0) return null;
                return Marshal.PtrToStringUTF8(*(nint*)record);
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private static int? LookupId(string name, bool group)
    {
        if (!OperatingSystem.IsLinux() || name.Length == 0 || name.Contains('\0')) return null;
        try
        {
            // struct passwd: name, passwd, uid, gid; struct group: name, passwd, gid: the id follows two pointers.
            var record = stackalloc byte[128];
            var buffer = new byte[16384];
            fixed (byte* buf = buffer)
            {
                nint result;
                var rc = group
                    ? Native.getgrnam_r(name, record, buf, (nuint)buffer.Length, out result)
                    : Native.getpwnam_r(name, record, buf, (nuint)buffer.Length, out result);
                if (rc != 0 || result == 0) return null;
                return *(int*)(record + 2 * sizeof(nint));
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "getpwuid_r")]
        public static partial int getpwuid_r(uint uid, byte* pwd, byte* buf, nuint buflen, out nint result);

        [LibraryImport("libc", EntryPoint = "getgrgid_r")]
        public static partial int getgrgid_r(uint gid, byte* grp, byte* buf, nuint buflen, out nint result);

        [LibraryImport("libc", EntryPoint = "getpwnam_r", StringMarshalling = StringMarshalling.Utf8)]
        public static partial int getpwnam_r(string name, byte* pwd, byte* buf, nuint buflen, out nint result);

        [LibraryImport("libc", EntryPoint = "getgrnam_r", StringMarshalling = StringMarshalling.Utf8)]
        public static partial int getgrnam_r(string name, byte* grp, byte* buf, nuint buflen, out nint result);
    }
}
