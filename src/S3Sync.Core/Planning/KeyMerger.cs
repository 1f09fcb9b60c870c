using System.Runtime.CompilerServices;
using S3Sync.Local;
using S3Sync.Remote;

namespace S3Sync.Planning;

/// <summary>
/// Walks the local and remote streams in lock-step, both in <see cref="KeyOrder"/>, and says per key which sides
/// hold it. It refuses out-of-order or duplicate input instead of producing a wrong plan: a key seen out of order
/// would look "only in S3" and could be deleted.
/// </summary>
public static class KeyMerger
{
    public static async IAsyncEnumerable<MergedKey> MergeAsync(
        IAsyncEnumerable<LocalEntry> local, IAsyncEnumerable<RemoteObject> remote,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var l = local.GetAsyncEnumerator(cancellationToken);
        await using var r = remote.GetAsyncEnumerator(cancellationToken);
        var order = KeyOrder.Instance;
        string? lastLocal = null, lastRemote = null;

        async ValueTask<LocalEntry?> NextLocal()
        {
            if (!await l.MoveNextAsync().ConfigureAwait(false)) return null;
            Check("local", lastLocal, l.Current.Key);
            lastLocal = l.Current.Key;
            return l.Current;
        }

        async ValueTask<RemoteObject?> NextRemote()
        {
            if (!await r.MoveNextAsync().ConfigureAwait(false)) return null;
            Check("remote", lastRemote, r.Current.Key);
            lastRemote = r.Current.Key;
            return r.Current;
        }

        var a = await NextLocal().ConfigureAwait(false);
        var b = await NextRemote().ConfigureAwait(false);
        while (a is not null || b is not null)
        {
            var c = a is null ? 1 : b is null ? -1 : order.Compare(a.Key, b.Key);
            if (c < 0)
            {
                yield return new MergedKey(a!.Key, a, null);
                a = await NextLocal().ConfigureAwait(false);
            }
            else if (c > 0)
            {
                yield return new MergedKey(b!.Key, null, b);
                b = await NextRemote().ConfigureAwait(false);
            }
            else
            {
                yield return new MergedKey(a!.Key, a, b);
                a = await NextLocal().ConfigureAwait(false);
                b = await NextRemote().ConfigureAwait(false);
            }
        }
    }

    private static void Check(string side, string? previous, string current)
    {
        if (previous is null) return;
        var c = KeyOrder.Instance.Compare(previous, current);
        if (c == 0) throw new MergeOrderException($"the {side} listing holds the key '{current}' twice");
        if (c > 0) throw new MergeOrderException($"the {side} listing is out of order: '{current}' came after '{previous}'");
    }
}
