using System.Security.Cryptography;
using S3Sync.Execution;
using S3Sync.Remote;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Engine;

/// <summary>
/// A store without a capability (<c>Multipart</c>, <c>Copy</c> null) against the executor: it falls back where a
/// fallback sends the same bytes (a move is uploaded again), and fails the one file clearly where none does (a file
/// over the multipart threshold, an in-place rewrite), naming the key and what the store cannot do. The same rows on a
/// store with every capability are the control.
/// </summary>
public sealed class StoreCapabilityTests
{
    private const string Big = "big.bin";

    /// <param name="change">What happens between the first sync and the second: "new big" (a file over the multipart
    /// threshold appears), "new small", "rename" (a 1 MiB file renamed, with retire_deleted), "chmod" (a file's mode
    /// changes), "class" (the site's storage class changes).</param>
    [Theory]
    [InlineData("new big", true, true, "upload:big.bin", SiteStatus.Done, null)]
    [InlineData("new big", false, true, "upload:big.bin(failed)", SiteStatus.Failed, "this store cannot upload in parts")]
    [InlineData("new small", false, false, "upload:small.txt", SiteStatus.Done, null)]
    [InlineData("rename", true, true, "move:moved.bin", SiteStatus.Done, null)]
    [InlineData("rename", true, false, "delete:one.bin upload:moved.bin", SiteStatus.Done, null)]
    [InlineData("chmod", true, true, "copy:a.txt", SiteStatus.Done, null)]
    [InlineData("chmod", true, false, "copy:a.txt(failed)", SiteStatus.Failed, "this store cannot copy objects")]
    [InlineData("class", true, true, "copy:a.txt copy:one.bin", SiteStatus.Done, null)]
    [InlineData("class", true, false, "copy:a.txt(failed) copy:one.bin(failed)", SiteStatus.Failed, "this store cannot copy objects")]
    public async Task A_store_without_multipart_or_copy_falls_back_or_fails_the_file_clearly(string change, bool multipart, bool copy, string actions, SiteStatus status, string? problem)
    {
        using var site = new MemorySite();
        site.Site = site.Site with { RetireDeleted = true };
        site.Store.CanMultipart = multipart;
        site.Store.CanCopy = copy;
        site.Tree("a.txt=1");
        var one = RandomNumberGenerator.GetBytes((int)MoveFinder.CopyWorthBytes + 5);
        File.WriteAllBytes(Path.Combine(site.Local, "one.bin"), one);
        Assert.Equal(SiteStatus.Done, (await site.SyncAsync()).Result.Status);

        switch (change)
        {
            case "new big":
                File.WriteAllBytes(Path.Combine(site.Local, Big), RandomNumberGenerator.GetBytes((int)(ETag.MultipartThreshold + ETag.MiB)));
                break;
            case "new small":
                File.WriteAllText(Path.Combine(site.Local, "small.txt"), "s");
                break;
            case "rename":
                File.Move(Path.Combine(site.Local, "one.bin"), Path.Combine(site.Local, "moved.bin"));
                break;
            case "chmod":
                File.SetUnixFileMode(Path.Combine(site.Local, "a.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
                break;
            case "class":
                site.Site = site.Site with { StorageClass = "STANDARD_IA" };
                break;
        }
        var (result, done) = await site.SyncAsync();

        Assert.Equal(actions, done);
        Assert.Equal(status, result.Status);
        if (problem is not null) Assert.Contains(result.Problems, p => p.Contains(problem, StringComparison.Ordinal));
        // Whatever the store lacks, no call of it was made, and the bucket holds what the run says
        if (!multipart) Assert.DoesNotContain(site.Store.Calls, c => c.StartsWith("POST?uploads ", StringComparison.Ordinal) || c.StartsWith("PART ", StringComparison.Ordinal));
        if (!copy) Assert.DoesNotContain(site.Store.Calls, c => c.StartsWith("COPY ", StringComparison.Ordinal));
        if (change == "rename") Assert.Equal(one, site.Store["p/moved.bin"]!.Body);
        if (change == "new big") Assert.Equal(multipart, site.Store["p/" + Big] is not null);
    }
}
