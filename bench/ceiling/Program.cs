using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using S3Sync.Remote;

// Usage: S3Sync.Ceiling ENDPOINT BUCKET PREFIX DIR [WORKERS]
// PUTs every file below DIR to BUCKET/PREFIX/relative-path with WORKERS requests in flight (32, s3sync's default), signed
// with the keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: nothing but the reads, the MD5s and the PUTs. Prints
// "puts=N bytes=B seconds=S" (the PUT phase) and exits 1 on the first failure.
if (args.Length < 4)
{
    Console.Error.WriteLine("usage: S3Sync.Ceiling ENDPOINT BUCKET PREFIX DIR [WORKERS]");
    return 2;
}
var (endpoint, bucket, prefix, root) = (new Uri(args[0]), args[1], args[2].Trim('/'), Path.GetFullPath(args[3]));
var workers = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : S3Sync.Config.Defaults.UploadWorkers;
if (Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID") is not { Length: > 0 } accessKey || Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY") is not { Length: > 0 } secretKey)
{
    Console.Error.WriteLine("S3Sync.Ceiling: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    return 2;
}
var keys = new Amazon.Runtime.ImmutableCredentials(accessKey, secretKey, null);
using var put = new SignedPut(endpoint, pathStyle: true, "us-east-1", _ => Task.FromResult<Amazon.Runtime.ImmutableCredentials?>(keys), workers, new RequestPolicy());
var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToList();
long bytes = 0;
var clock = Stopwatch.StartNew();
await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = workers }, async (path, token) =>
{
    var body = await File.ReadAllBytesAsync(path, token).ConfigureAwait(false);
    var md5 = MD5.HashData(body);
    var key = prefix + "/" + Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');
    var headers = new UploadHeaders(S3Sync.Config.Defaults.StorageClass, "application/octet-stream", Convert.ToHexStringLower(md5));
    if (!await put.TryPutAsync(bucket, key, body, md5, headers, token).ConfigureAwait(false))
        throw new InvalidOperationException($"{key}: the signed PUT was refused");
    Interlocked.Add(ref bytes, body.Length);
}).ConfigureAwait(false);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"puts={files.Count} bytes={bytes} seconds={clock.Elapsed.TotalSeconds:F2}"));
return 0;
