using System.Net;
using System.Security.Cryptography;
using System.Text;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>
/// A listing split by folder (<see cref="RangeListing"/>) against a server whose delimiter listing lies: the stream
/// handed to the merge is what the one continuation chain gives, and a restore with <c>--delete</c> deletes nothing
/// the bucket holds. The server is a small listing emulator on <see cref="MisbehavingServer"/> (ListObjectsV2 with
/// prefix, delimiter, start-after and continuation tokens, 1,000 keys a page) with one lie switched on per test.
/// </summary>
public sealed class RangeListingTrustTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private const string Bucket = "hang";

    /// <summary>10 keys under <c>a+b/</c>, then 1,000 under <c>c/</c>: more than a page, two folders.</summary>
    private static readonly string[] Keys =
        [.. Enumerable.Range(0, 10).Select(i => $"a+b/k{i:D4}"), .. Enumerable.Range(0, 1000).Select(i => $"c/k{i:D4}")];

    /// <summary>1,000 keys under <c>c/</c>, then one under each of 20 folders and under <c>z+y/</c>: a folder the
    /// server misnames comes after the first page, among enough folders that the level is not split further.</summary>
    private static readonly string[] ManyFolders =
        [.. Enumerable.Range(0, 1000).Select(i => $"c/k{i:D4}"), .. Enumerable.Range(0, 20).Select(i => $"d{i:D2}/k"), "z+y/k"];

    private static readonly string ETagOfX = Convert.ToHexStringLower(MD5.HashData("x"u8));

    /// <summary>How the emulated server's delimiter listing lies.</summary>
    public enum Lie
    {
        /// <summary>CommonPrefixes are sent as they are, not URL-encoded, though the request asked for encoding-type=url
        /// (a bug some S3 servers had): <c>a+b/</c> is read back as <c>a b/</c>.</summary>
        UnencodedFolders,

        /// <summary>The first folder is left out of the level.</summary>
        MissingFolder,

        /// <summary>Every folder is sent twice.</summary>
        DuplicateFolders,

        /// <summary>The folders come in reverse order.</summary>
        FoldersOutOfOrder,

        /// <summary>A listing with a delimiter is refused: 501 NotImplemented (a server without that feature).</summary>
        RefusesDelimiter,
    }

    private static Misbehaviour Answer(string method, string target, Lie lie, string[]? keys = null)
    {
        var query = ParseQuery(target);
        if (!query.ContainsKey("list-type"))
            return method is "GET" or "HEAD"
                ? new Misbehaviour.Object("x"u8.ToArray(), new Dictionary<string, string> { ["ETag"] = $"\"{ETagOfX}\"", ["Last-Modified"] = "Thu, 01 Jan 2026 00:00:00 GMT" })
                : new Misbehaviour.Answer(501, "<Error><Code>NotImplemented</Code></Error>");
        var prefix = query.GetValueOrDefault("prefix", "");
        var after = query.GetValueOrDefault("continuation-token") ?? query.GetValueOrDefault("start-after") ?? "";
        var delimiter = query.ContainsKey("delimiter");
        if (delimiter && lie == Lie.RefusesDelimiter) return new Misbehaviour.Answer(501, "<Error><Code>NotImplemented</Code><Message>no delimiter</Message></Error>");
        var contents = new List<string>();
        var folders = new List<string>();
        string? last = null;
        var truncated = false;
        foreach (var key in (keys ?? Keys).Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && string.CompareOrdinal(k, after) > 0).Order(StringComparer.Ordinal))
        {
            if (contents.Count + folders.Count == 1000) { truncated = true; break; }
            var slash = delimiter ? key.IndexOf('/', prefix.Length) : -1;
            if (slash >= 0)
            {
                var folder = key[..(slash + 1)];
                if (folders.Count == 0 || folders[^1] != folder) folders.Add(folder);
                last = key;
                continue;
            }
            contents.Add(key);
            last = key;
        }
        if (delimiter)
        {
            folders = lie switch
            {
                Lie.MissingFolder when prefix.Length == 0 => [.. folders.Skip(1)],
                Lie.DuplicateFolders => [.. folders.SelectMany(f => new[] { f, f })],
                Lie.FoldersOutOfOrder => [.. Enumerable.Reverse(folders)],
                _ => folders,
            };
        }
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
        xml.Append($"<Name>{Bucket}</Name><Prefix>{Uri.EscapeDataString(prefix)}</Prefix><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType>");
        xml.Append($"<KeyCount>{contents.Count + folders.Count}</KeyCount><IsTruncated>{(truncated ? "true" : "false")}</IsTruncated>");
        if (truncated) xml.Append($"<NextContinuationToken>{WebUtility.HtmlEncode(last)}</NextContinuationToken>");
        foreach (var key in contents)
            xml.Append($"<Contents><Key>{Uri.EscapeDataString(key)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>\"{ETagOfX}\"</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>");
        foreach (var folder in folders)
            xml.Append($"<CommonPrefixes><Prefix>{(lie == Lie.UnencodedFolders ? WebUtility.HtmlEncode(folder) : Uri.EscapeDataString(folder))}</Prefix></CommonPrefixes>");
        xml.Append("</ListBucketResult>");
        return new Misbehaviour.Answer(200, xml.ToString());
    }

    private static Dictionary<string, string> ParseQuery(string target)
    {
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        var mark = target.IndexOf('?');
        if (mark < 0) return query;
        foreach (var pair in target[(mark + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            query[name] = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
        }
        return query;
    }

    [Theory(Timeout = 120_000)]
    [InlineData(Lie.UnencodedFolders)]
    [InlineData(Lie.MissingFolder)]
    [InlineData(Lie.DuplicateFolders)]
    [InlineData(Lie.FoldersOutOfOrder)]
    [InlineData(Lie.RefusesDelimiter)]
    public async Task A_delimiter_listing_that_lies_gives_the_stream_of_the_one_chain(Lie lie)
    {
        // Given a server of 1,010 keys under two folders whose delimiter listing lies
        using var server = new MisbehavingServer((method, target) => Answer(method, target, lie));
        var (root, local) = Hang.Tree();
        var site = S3Sync.Config.ConfigLoader.LoadFile(Hang.Config(root, server.Endpoint, local)).Sites[0];
        using var store = S3ObjectStore.ForSite(site, 4, 1);

        // When the site is listed by folder
        var keys = new List<string>();
        await foreach (var o in RangeListing.ListAsync(store, default)) keys.Add(o.Key);

        // Then the stream is every key once, in key order: what one continuation chain gives
        Assert.Equal(Keys, keys);
        Directory.Delete(root, true);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_server_that_refuses_the_delimiter_is_asked_once_and_listed_by_the_one_chain()
    {
        // Given a server of 1,010 keys that answers 501 NotImplemented to a listing with a delimiter
        var asked = 0;
        using var server = new MisbehavingServer((method, target) =>
        {
            if (target.Contains("delimiter=", StringComparison.Ordinal)) Interlocked.Increment(ref asked);
            return Answer(method, target, Lie.RefusesDelimiter);
        });
        var (root, local) = Hang.Tree();
        var site = S3Sync.Config.ConfigLoader.LoadFile(Hang.Config(root, server.Endpoint, local)).Sites[0];
        using var store = S3ObjectStore.ForSite(site, 4, 3);

        // When the site is listed by folder
        var keys = new List<string>();
        await foreach (var o in RangeListing.ListAsync(store, default)) keys.Add(o.Key);

        // Then the refusal is not retried (501 is a missing feature, not a passing failure) and the stream is the one chain's
        Assert.Equal(1, asked);
        Assert.Equal(Keys, keys);
        Directory.Delete(root, true);
    }

    [Fact(Timeout = 180_000)]
    public async Task A_restore_with_delete_from_a_server_whose_folders_are_not_encoded_deletes_nothing_the_bucket_holds()
    {
        // Given a folder that holds every key of the bucket (content "x", the objects' bytes)
        using var server = new MisbehavingServer((method, target) => Answer(method, target, Lie.UnencodedFolders));
        var (root, local) = Hang.Tree();
        foreach (var key in Keys)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(local, key))!);
            File.WriteAllText(Path.Combine(local, key), "x");
        }
        var config = Hang.Config(root, server.Endpoint, local);

        // When it is restored in place with --delete from a server whose CommonPrefixes are not URL-encoded
        var (run, elapsed) = await Hang.RunAsync("restore", "-c", config, "--in-place", "--delete");
        log.WriteLine($"{elapsed.TotalSeconds:F1} s\n{run}");

        // Then every file is still there, and nothing was deleted
        Assert.DoesNotContain("delete: a+b/", run.Output + run.Error);
        Assert.All(Keys, key => Assert.True(File.Exists(Path.Combine(local, key)), key));
        Assert.Equal(0, run.ExitCode);
        Directory.Delete(root, true);
    }

    [Fact(Timeout = 180_000)]
    public async Task A_folder_misnamed_past_the_first_page_fails_the_restore_with_exit_3_and_deletes_nothing()
    {
        // Given a folder that holds every key of a bucket of 22 folders, one of them (z+y/) past the first page
        using var server = new MisbehavingServer((method, target) => Answer(method, target, Lie.UnencodedFolders, ManyFolders));
        var (root, local) = Hang.Tree();
        foreach (var key in ManyFolders)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(local, key))!);
            File.WriteAllText(Path.Combine(local, key), "x");
        }
        var config = Hang.Config(root, server.Endpoint, local);

        // When it is restored in place with --delete from a server whose CommonPrefixes are not URL-encoded
        var (run, elapsed) = await Hang.RunAsync("restore", "-c", config, "--in-place", "--delete");
        log.WriteLine($"{elapsed.TotalSeconds:F1} s\n{run}");

        // Then the run fails on one line naming the folder, and every file is still there
        Hang.AssertFailedWithin(run, elapsed, "named the folder 'z y/', which lists no key");
        Assert.All(ManyFolders, key => Assert.True(File.Exists(Path.Combine(local, key)), key));
        Directory.Delete(root, true);
    }
}
