using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;

namespace S3Sync.Remote;

/// <summary>
/// The PUTs of an upload, signed with SigV4 and sent on a plain <see cref="HttpClient"/>: the single-request PUT of a
/// small file (the one call a cold sync makes per file, where the SDK's request pipeline costs more CPU than the rest
/// of the upload) and the parts of a large one. On a machine shared with the server, client CPU is server throughput.
/// Same headers as the SDK path: plain body, Content-MD5 and <see cref="UploadHeaders.ToHttpHeaders"/>.
/// A part is sent as UNSIGNED-PAYLOAD: the SDK would hash every byte with SHA-256 to sign it (over HTTP), while the
/// signed Content-MD5 already binds the body to the signature and the server checks it. It signs with whatever
/// credentials the SDK resolves (static keys, environment, profile, web identity, container or instance role), asked
/// for each request so that refreshing credentials and session tokens stay current, over http or https, on AWS
/// (virtual-host style) and custom endpoints; any signature, credential, clock or TLS problem turns the path off and the SDK takes over
/// (<see cref="Enabled"/>, <see cref="PartsEnabled"/>).
/// </summary>
internal sealed class SignedPut : IDisposable
{
    private const string Algorithm = "AWS4-HMAC-SHA256";
    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly bool _pathStyle;
    private readonly string _region;
    private readonly Func<CancellationToken, Task<Amazon.Runtime.ImmutableCredentials?>> _credentials;
    private readonly int _retries;
    private readonly RequestPolicy _policy;
    private readonly BandwidthLimiter? _bandwidth;
    private (string Date, string Secret, byte[] Key) _signingKey = ("", "", []);
    private volatile bool _enabled = true;
    private volatile bool _partsEnabled = true;

    /// <param name="credentials">Asked before each request: the SDK's <see cref="Amazon.Runtime.AWSCredentials"/> refresh
    /// themselves when they near expiry; null means none could be resolved (the SDK takes over and reports it).</param>
    /// <param name="pathStyle">False: virtual-host style (bucket.host), except for a bucket whose name holds a dot.</param>
    /// <param name="bandwidth">The run's bandwidth limit the bodies are sent at; null: none.</param>
    public SignedPut(Uri endpoint, bool pathStyle, string region, Func<CancellationToken, Task<Amazon.Runtime.ImmutableCredentials?>> credentials, int connections, RequestPolicy policy, BandwidthLimiter? bandwidth = null)
    {
        _policy = policy;
        _bandwidth = bandwidth;
        _endpoint = endpoint;
        _pathStyle = pathStyle;
        _region = region;
        _credentials = credentials;
        _retries = policy.Retries;
        // Each attempt's deadline is the policy's (AttemptTimer through DeadlineHandler), not HttpClient's.
        _http = new HttpClient(DeadlineHandler.Create(connections)) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    /// <summary>False once the fast path for whole objects was refused; the caller uses the SDK from then on.</summary>
    public bool Enabled => _enabled;

    /// <summary>False once the fast path for parts was refused (say, a server without UNSIGNED-PAYLOAD).</summary>
    public bool PartsEnabled => _partsEnabled && _enabled;

    /// <summary>Uploads; returns false (and turns itself off) when the caller should use the SDK instead.</summary>
    public async Task<bool> TryPutAsync(string bucket, string key, ReadOnlyMemory<byte> body, byte[] md5, UploadHeaders headers, CancellationToken cancellationToken)
    {
        var etag = await SendAsync(bucket, key, null, body, md5, headers.ToHttpHeaders(multipart: false), cancellationToken).ConfigureAwait(false);
        if (etag is null) _enabled = false;
        return etag is not null;
    }

    /// <summary>Uploads one part; returns its ETag, or null (and turns parts off) when the caller should use the SDK.</summary>
    public async Task<string?> TryUploadPartAsync(string bucket, string key, string uploadId, int partNumber, ReadOnlyMemory<byte> body, byte[] md5, Config.Encryption encryption, CancellationToken cancellationToken)
    {
        var query = "partNumber=" + partNumber.ToString(CultureInfo.InvariantCulture) + "&uploadId=" + EncodeQueryValue(uploadId);
        // A part carries the SSE-C key (S3 wants it on every part); SSE-S3/KMS were given when the upload was created.
        var etag = await SendAsync(bucket, key, query, body, md5, UploadHeaders.EncryptionHeaders(encryption, customerOnly: true), cancellationToken).ConfigureAwait(false);
        if (etag is null) _partsEnabled = false;
        return etag;
    }

    /// <summary>Sends one PUT with retries; returns the ETag ("" when the server sent none), or null when the fast
    /// path was refused and the SDK should take over. <paramref name="query"/> is already canonical (sorted, encoded).</summary>
    private async Task<string?> SendAsync(string bucket, string key, string? query, ReadOnlyMemory<byte> body, byte[] md5, IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        if (_policy.Unresponsive() is { } skipped) throw new TimeoutException(skipped);
        // Retried while the count and the time waited allow (the policy's, as for the SDK's calls), each retry logged.
        var waited = TimeSpan.Zero;
        bool Retry(int attempt, string why)
        {
            var backoff = RequestPolicy.Backoff(attempt + 1);
            if (attempt >= _retries || waited + backoff + _policy.Timeout > _policy.WaitBudget) return false;
            _policy.Retrying?.Invoke($"retrying PUT {Reporting.Printable.Escape(key)}{(query is null ? "" : " (part)")} (attempt {attempt + 2}/{_retries + 1}): {why}");
            waited += backoff;
            return true;
        }
        var backoffFirst = false;
        for (var attempt = 0; ; attempt++)
        {
            if (backoffFirst) await Backoff(attempt - 1, cancellationToken).ConfigureAwait(false);
            backoffFirst = false;
            HttpResponseMessage response;
            // The credentials of this attempt, from the SDK's resolver (a refreshing source renews them here). Bounded
            // like a request: a credential endpoint that does not answer hands the upload to the SDK, which reports it.
            Amazon.Runtime.ImmutableCredentials? credentials;
            try
            {
                credentials = await _credentials(cancellationToken).WaitAsync(_policy.Timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return null;
            }
            if (credentials is null || string.IsNullOrEmpty(credentials.AccessKey) || string.IsNullOrEmpty(credentials.SecretKey)) return null;
            // The attempt holds a slot of the endpoint's limit until its answer is read (not while backing off).
            var slot = _policy.Concurrency is { } limit ? await limit.AcquireAsync(cancellationToken).ConfigureAwait(false) : default;
            var outcome = RequestOutcome.Unknown;
            try
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                using var timer = new AttemptTimer(_policy.Timeout, _policy.CapFor(body.Length), cancellationToken);
                var outer = AttemptTimer.Current.Value;
                AttemptTimer.Current.Value = timer;
                try
                {
                    using var request = Build(bucket, key, query, body, md5, headers, credentials);
                    // ResponseContentRead: the deadline covers the whole answer, body included.
                    response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timer.Token).ConfigureAwait(false);
                }
                catch (HttpRequestException e) when (e.InnerException is System.Security.Authentication.AuthenticationException)
                {
                    return null;
                }
                catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or ObjectDisposedException && !cancellationToken.IsCancellationRequested)
                {
                    var timedOut = timer.Expired || e is OperationCanceledException;
                    if (timedOut) outcome = RequestOutcome.Throttled;
                    var why = timedOut ? $"the request timed out: {(timer.Expired ? timer.Why : "no answer in time")}" : StoreErrors.Describe(e);
                    waited += timer.Expired ? _policy.Timeout : System.Diagnostics.Stopwatch.GetElapsedTime(started);
                    if (!Retry(attempt, why))
                    {
                        if (!timedOut) throw;
                        _policy.MarkUnresponsive();
                        throw new TimeoutException(why, e);
                    }
                    backoffFirst = true; // after the slot is given back
                    continue;
                }
                finally
                {
                    AttemptTimer.Current.Value = outer;
                }
                _policy.MarkAnswering();
                outcome = (int)response.StatusCode is 429 or 503 ? RequestOutcome.Throttled : RequestOutcome.Answered;
                using (response)
                {
                    if (response.IsSuccessStatusCode) return response.Headers.ETag?.Tag ?? (response.Headers.TryGetValues("ETag", out var raw) ? raw.FirstOrDefault() ?? "" : "");
                    var text = await response.Content.ReadAsStringAsync(timer.Token).ConfigureAwait(false);
                    var code = Element(text, "Code") ?? response.StatusCode.ToString();
                    if (code is "SlowDown" or "Throttling" or "ThrottlingException" or "RequestLimitExceeded") outcome = RequestOutcome.Throttled;
                    if (code is "SignatureDoesNotMatch" or "RequestTimeTooSkewed" or "AuthorizationHeaderMalformed" or "InvalidAccessKeyId" or "PermanentRedirect" or "InvalidRequest"
                            or "XAmzContentSHA256Mismatch" or "NotImplemented" or "ExpiredToken" or "InvalidToken" or "TokenRefreshRequired"
                        || response.StatusCode == HttpStatusCode.MovedPermanently || response.StatusCode == HttpStatusCode.TemporaryRedirect)
                        return null;
                    // As the SDK's path (S3ObjectStore.IsRetryable): a 5xx, a 429 or a throttling code is tried again.
                    if ((outcome == RequestOutcome.Throttled || (int)response.StatusCode >= 500 || code is "RequestTimeout") && Retry(attempt, $"{code} (HTTP {(int)response.StatusCode})"))
                    {
                        backoffFirst = true; // after the slot is given back
                        continue;
                    }
                    var status = (int)response.StatusCode;
                    throw new StoreException(StoreException.KindOf(code, status), StoreException.Describe(code, status, Element(text, "Message")), code, status);
                }
            }
            finally
            {
                slot.Release(outcome);
            }
        }
    }

    private static Task Backoff(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(RequestPolicy.Backoff(attempt + 1), cancellationToken);

    private HttpRequestMessage Build(string bucket, string key, string? query, ReadOnlyMemory<byte> body, byte[] md5, IReadOnlyList<KeyValuePair<string, string>> extra, Amazon.Runtime.ImmutableCredentials credentials)
    {
        var host = _endpoint.IsDefaultPort ? _endpoint.IdnHost : $"{_endpoint.IdnHost}:{_endpoint.Port}";
        string path;
        // Path style, as the SDK, for a bucket that cannot be a host label: a dotted name would not match a wildcard
        // certificate, and a legacy name (capitals, underscores) is no DNS name.
        if (_pathStyle || !IsHostLabel(bucket))
        {
            path = "/" + Encode(bucket) + "/" + Encode(key);
        }
        else
        {
            host = bucket + "." + host;
            path = "/" + Encode(key);
        }
        var basePath = _endpoint.AbsolutePath.TrimEnd('/');
        path = basePath + path;

        var now = DateTime.UtcNow;
        var amzDate = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        // A whole object's body is small: it is hashed and signed. A part's is not (see the class summary).
        var payloadHash = query is null ? Convert.ToHexStringLower(SHA256.HashData(body.Span)) : "UNSIGNED-PAYLOAD";
        var contentMd5 = Convert.ToBase64String(md5);

        // Canonical headers, sorted by name.
        var signed = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["content-md5"] = contentMd5,
            ["host"] = host,
            ["x-amz-content-sha256"] = payloadHash,
            ["x-amz-date"] = amzDate,
        };
        // Every header of UploadHeaders is signed and sent, the same list the SDK path sends.
        foreach (var (name, value) in extra) signed[name] = value;
        if (credentials.UseToken) signed["x-amz-security-token"] = credentials.Token;
        var canonicalHeaders = new StringBuilder();
        foreach (var (name, value) in signed) canonicalHeaders.Append(name).Append(':').Append(CanonicalValue(value)).Append('\n');
        var signedHeaders = string.Join(';', signed.Keys);
        var canonicalRequest = $"PUT\n{path}\n{query}\n{canonicalHeaders}\n{signedHeaders}\n{payloadHash}";
        var scope = $"{date}/{_region}/s3/aws4_request";
        var stringToSign = $"{Algorithm}\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(SigningKey(date, credentials.SecretKey), Encoding.UTF8.GetBytes(stringToSign)));

        var target = query is null ? path : path + "?" + query;
        var uri = new Uri($"{_endpoint.Scheme}://{host}{target}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        var request = new HttpRequestMessage(HttpMethod.Put, uri) { Version = HttpVersion.Version11 };
        request.Headers.Host = host;
        request.Headers.TryAddWithoutValidation("x-amz-content-sha256", payloadHash);
        request.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        foreach (var (name, value) in extra)
            if (!IsContentHeader(name)) request.Headers.TryAddWithoutValidation(name, value);
        if (credentials.UseToken) request.Headers.TryAddWithoutValidation("x-amz-security-token", credentials.Token);
        request.Headers.TryAddWithoutValidation("Authorization", $"{Algorithm} Credential={credentials.AccessKey}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
        HttpContent content = _bandwidth is { Enabled: true } limiter ? new ThrottledContent(body, limiter) : new ReadOnlyMemoryContent(body);
        foreach (var (name, value) in extra)
            if (IsContentHeader(name)) content.Headers.TryAddWithoutValidation(name, value);
        content.Headers.TryAddWithoutValidation("Content-MD5", contentMd5);
        content.Headers.ContentLength = body.Length;
        request.Content = content;
        return request;
    }

    /// <summary>A bucket name that can lead the host name: 3 to 63 of a-z 0-9 and '-', starting and ending alphanumeric.</summary>
    internal static bool IsHostLabel(string bucket) =>
        bucket.Length is >= 3 and <= 63 && !bucket.AsSpan().ContainsAnyExcept(HostLabelCharacters) && bucket[0] != '-' && bucket[^1] != '-';

    private static readonly System.Buffers.SearchValues<char> HostLabelCharacters = System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");

    /// <summary>Headers that .NET keeps on the content, not the request.</summary>
    private static bool IsContentHeader(string name) =>
        name.StartsWith("content-", StringComparison.Ordinal) || name is "expires";

    /// <summary>SigV4's canonical header value: trimmed, runs of spaces as one.</summary>
    internal static string CanonicalValue(string value)
    {
        value = value.Trim();
        if (!value.Contains("  ", StringComparison.Ordinal)) return value;
        var sb = new StringBuilder(value.Length);
        foreach (var c in value)
            if (c != ' ' || sb.Length == 0 || sb[^1] != ' ') sb.Append(c);
        return sb.ToString();
    }

    /// <summary>The day's signing key, kept while the date and the secret (which rotates with refreshing credentials) hold.</summary>
    private byte[] SigningKey(string date, string secret)
    {
        var cached = _signingKey;
        if (cached.Date == date && cached.Secret == secret) return cached.Key;
        var k = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secret), Encoding.UTF8.GetBytes(date));
        k = HMACSHA256.HashData(k, Encoding.UTF8.GetBytes(_region));
        k = HMACSHA256.HashData(k, "s3"u8);
        k = HMACSHA256.HashData(k, "aws4_request"u8);
        _signingKey = (date, secret, k);
        return k;
    }

    /// <summary>S3's URI encoding of a path: every byte but A-Z a-z 0-9 - _ . ~ and '/' as %XX (once).</summary>
    internal static string Encode(string key)
    {
        var bytes = Encoding.UTF8.GetBytes(key);
        var sb = new StringBuilder(bytes.Length + 16);
        foreach (var b in bytes)
        {
            if (b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~' or (byte)'/')
                sb.Append((char)b);
            else
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>A query value in SigV4's canonical form: every byte but A-Z a-z 0-9 - _ . ~ as %XX ('/' included).</summary>
    internal static string EncodeQueryValue(string value) => Encode(value).Replace("/", "%2F", StringComparison.Ordinal);

    private static string? Element(string xml, string name)
    {
        var start = xml.IndexOf($"<{name}>", StringComparison.Ordinal);
        if (start < 0) return null;
        start += name.Length + 2;
        var end = xml.IndexOf($"</{name}>", start, StringComparison.Ordinal);
        return end < 0 ? null : WebUtility.HtmlDecode(xml[start..end]);
    }

    public void Dispose() => _http.Dispose();
}
