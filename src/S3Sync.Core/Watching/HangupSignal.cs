using System.Runtime.InteropServices;

namespace S3Sync.Watching;

/// <summary>
/// SIGHUP is watch's reload signal. A process started with it ignored (<c>nohup</c>, some supervisors and shells)
/// inherits that, and .NET then never calls a SIGHUP handler registered later: <c>kill -HUP</c> would be lost without a
/// word. Like nginx or sshd, watch takes the signal back: its disposition is reset to the default just before the
/// handler is registered.
/// </summary>
public static partial class HangupSignal
{
    private const int SigHup = 1;
    private const nint Default = 0, Ignore = 1;

    /// <summary>Puts SIGHUP back to its default disposition; true when it was ignored.</summary>
    public static bool TakeBack()
    {
        if (!OperatingSystem.IsLinux()) return false;
        return signal(SigHup, Default) == Ignore;
    }

    [LibraryImport("libc")]
    private static partial nint signal(int signum, nint handler);
}
