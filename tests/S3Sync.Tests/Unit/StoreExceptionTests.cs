using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using S3Sync.Remote;

namespace S3Sync.Tests.Unit;

/// <summary>The kinds an answer crosses the store seam as: callers decide by them, not by SDK types or codes.</summary>
public sealed class StoreExceptionTests
{
    [Theory]
    [InlineData("NoSuchBucket", 404, StoreErrorKind.MissingBucket)]
    [InlineData("NoSuchKey", 404, StoreErrorKind.NotFound)]
    [InlineData(null, 404, StoreErrorKind.NotFound)]
    [InlineData("NoSuchUpload", 404, StoreErrorKind.NotFound)]
    [InlineData("InvalidAccessKeyId", 403, StoreErrorKind.Credentials)]
    [InlineData("SignatureDoesNotMatch", 403, StoreErrorKind.Credentials)]
    [InlineData("ExpiredToken", 400, StoreErrorKind.Credentials)]
    [InlineData("AccessDenied", 403, StoreErrorKind.AccessDenied)]
    [InlineData("BadDigest", 400, StoreErrorKind.BadDigest)]
    [InlineData("InvalidDigest", 400, StoreErrorKind.BadDigest)]
    [InlineData("SlowDown", 503, StoreErrorKind.Throttled)]
    [InlineData(null, 429, StoreErrorKind.Throttled)]
    [InlineData("PreconditionFailed", 412, StoreErrorKind.PreconditionFailed)]
    [InlineData("InvalidArgument", 400, StoreErrorKind.BadRequest)]
    [InlineData("InternalError", 500, StoreErrorKind.Other)]
    public void An_answer_has_the_kind_of_its_code_and_status(string? code, int status, StoreErrorKind kind) =>
        Assert.Equal(kind, StoreException.KindOf(code, status));

    [Fact]
    public void An_sdk_answer_becomes_a_store_exception_naming_code_and_status()
    {
        var sdk = new AmazonS3Exception("", ErrorType.Sender, "NoSuchBucket", "r", HttpStatusCode.NotFound);

        var e = Assert.IsType<StoreException>(StoreException.From(sdk));

        Assert.Equal(StoreErrorKind.MissingBucket, e.Kind);
        Assert.Equal("NoSuchBucket (HTTP 404)", e.Message);
        Assert.Same(sdk, e.InnerException);
    }

    [Fact]
    public void No_credentials_found_is_credentials_and_a_refused_redirect_is_redirected()
    {
        Assert.Equal(StoreErrorKind.Credentials, Assert.IsType<StoreException>(StoreException.From(new AmazonClientException("Failed to resolve AWS credentials."))).Kind);
        var redirect = new HttpRequestException("wrapped", new RedirectRefusedException(HttpStatusCode.TemporaryRedirect, new Uri("http://elsewhere:8080/b/k")));
        var e = Assert.IsType<StoreException>(StoreException.From(redirect));
        Assert.Equal(StoreErrorKind.Redirected, e.Kind);
        Assert.Contains("redirect to elsewhere:8080 refused", e.Message);
    }

    [Fact]
    public void A_timeout_a_cancel_and_a_network_failure_cross_unchanged()
    {
        Exception[] unchanged = [new TimeoutException("t"), new OperationCanceledException(), new HttpRequestException("reset"), new IOException("io")];
        foreach (var e in unchanged) Assert.Same(e, StoreException.From(e));
    }
}
