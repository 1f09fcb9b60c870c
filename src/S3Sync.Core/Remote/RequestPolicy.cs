using S3Sync.Config;

namespace S3Sync.Remote;

/// <summary>
/// How long one S3 request may wait and how often it is tried. An attempt fails when <see cref="Timeout"/> passes
/// with nothing moving: no connection, no byte of the request's body taken, no byte of the answer (headers or body)
/// received (<see cref="AttemptTimer"/>); and whatever moves, it ends at <see cref="CapFor"/>. A call is tried at
/// most 1 + <see cref="Retries"/> times, and not again once its failed attempts have waited
/// <see cref="WaitBudget"/> in all. <see cref="Retrying"/> hears each retry ("retrying PUT k (attempt 2/6): SlowDown (HTTP 503)").
/// <para>
/// One policy serves one store (a site): when a call has timed out on every attempt, the server counts as not
/// answering for the next <see cref="WaitBudget"/>, and the calls that start meanwhile fail at once instead of each
/// waiting its own timeouts (a run of 10,000 files against a dead server ends in a minute, not in hours). A call that
/// succeeds, or the end of that window, lets requests through again.
/// </para>
/// </summary>
public sealed class RequestPolicy
{
    private long _unresponsiveUntil;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(Defaults.RequestTimeoutSeconds);
    public int Retries { get; init; } = Defaults.S3OpsRetries;
    public Action<string>? Retrying { get; init; }

    /// <summary>The endpoint's limit on requests in flight (shared by every store of the process that talks to it);
    /// null: no limit but the callers' own.</summary>
    public AdaptiveConcurrency? Concurrency { get; init; }

    /// <summary>The most a call's failed attempts may wait in all (timeouts count as <see cref="Timeout"/> each, with
    /// the backoffs): twice the timeout, so a server that never answers fails a call after two attempts.</summary>
    public TimeSpan WaitBudget => Timeout * 2 + TimeSpan.FromSeconds(1);

    /// <summary>The longest one attempt may take however its bytes trickle: ten timeouts, plus the body at 32 KiB/s.</summary>
    public TimeSpan CapFor(long bodyBytes) => Timeout * 10 + TimeSpan.FromSeconds(bodyBytes / (32.0 * 1024));

    /// <summary>Jittered exponential backoff before attempt <paramref name="attempt"/> + 1: 100 ms doubling, at most 20 s.</summary>
    public static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(20_000, 100 * (1 << Math.Clamp(attempt, 0, 8))) * (0.5 + Random.Shared.NextDouble() / 2));

    /// <summary>Non-null (why) while the server counts as not answering: the call is not tried.</summary>
    public string? Unresponsive()
    {
        var until = Interlocked.Read(ref _unresponsiveUntil);
        if (until == 0 || System.Diagnostics.Stopwatch.GetTimestamp() >= until) return null;
        return $"not tried: the server did not answer a request within {Timeout.TotalSeconds:0} s on any attempt; requests resume in {System.Diagnostics.Stopwatch.GetElapsedTime(System.Diagnostics.Stopwatch.GetTimestamp(), until).TotalSeconds:0} s";
    }

    /// <summary>A call timed out on every attempt: fail the calls of the next <see cref="WaitBudget"/> at once.</summary>
    public void MarkUnresponsive() =>
        Interlocked.Exchange(ref _unresponsiveUntil, System.Diagnostics.Stopwatch.GetTimestamp() + (long)(WaitBudget.TotalSeconds * System.Diagnostics.Stopwatch.Frequency));

    /// <summary>A call got its answer: the server answers.</summary>
    public void MarkAnswering()
    {
        if (Interlocked.Read(ref _unresponsiveUntil) != 0) Interlocked.Exchange(ref _unresponsiveUntil, 0);
    }
}
