using System.Text;

namespace S3Sync.Local;

/// <summary>
/// Whether a file name (bytes, as the kernel gives it) has an S3 key: only when its bytes are valid UTF-8. A name
/// that holds U+FFFD as real UTF-8 (EF BF BD) is valid; deciding on the decoded text would skip it. The one rule of
/// the walk and of watch.
/// </summary>
public static class FileNames
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The name as text when its bytes are valid UTF-8; false (and null) when they are not.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> name, out string? text)
    {
        try
        {
            text = Strict.GetString(name);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = null;
            return false;
        }
    }

    /// <summary>The name with invalid bytes replaced by U+FFFD: for messages, and for the key such a name would have.</summary>
    public static string Lossy(ReadOnlySpan<byte> name) => Encoding.UTF8.GetString(name);
}
