// The tests drive a Linux server (Ceph) and Linux file semantics (modes, byte names, signals).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
