using System.Runtime.CompilerServices;
using S3Sync.Local;
using S3Sync.Remote;

namespace S3Sync.Planning;

/// <summary>One key as the merge sees it: on the local side, the remote side, or both.</summary>
public readonly record struct MergedKey(string Key, LocalEntry? Local, RemoteObject? Remote);
