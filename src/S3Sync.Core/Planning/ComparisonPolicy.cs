namespace S3Sync.Planning;

/// <summary>
/// How <see cref="ChangeDetector"/> decides that a file and its object hold the same bytes.
/// <list type="table">
/// <item><term><see cref="Content"/></term><description>sizes, then the MD5 or multipart ETag (a read of the file, or
/// the hash cache), then the stored fingerprint: a same-size edit is always found. The default.</description></item>
/// <item><term><see cref="SizeOnly"/></term><description>sizes alone (<c>--size-only</c>, as aws, rclone and s5cmd):
/// nothing is read or hashed, so a file edited without changing its size is NOT uploaded. Storage class still
/// counts; file metadata is not compared.</description></item>
/// </list>
/// </summary>
public enum ComparisonPolicy
{
    Content,
    SizeOnly,
}
