using System.Runtime.CompilerServices;

namespace S3Sync.Planning;

/// <summary>An input stream of the merge was not in S3 key order, or held a key twice: the plan would be wrong.</summary>
public sealed class MergeOrderException(string message) : InvalidOperationException(message);
