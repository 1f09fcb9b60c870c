namespace S3Sync.Remote;

/// <summary>
/// Listings are asked for with <c>encoding-type=url</c>: a key may hold characters XML 1.0 cannot carry (most C0
/// controls, U+FFFE, U+FFFF), and a raw CR would come back as LF, naming another key. The SDK hands the encoded
/// text back as it came; this turns it into the key. A '+' is a space (AWS encodes a space so, and a literal '+'
/// as %2B; Ceph encodes a space as %20): the same rule as botocore's.
/// </summary>
public static class ListingKeys
{
    public static string Decode(string encoded) =>
        encoded.Contains('%', StringComparison.Ordinal) || encoded.Contains('+', StringComparison.Ordinal)
            ? Uri.UnescapeDataString(encoded.Replace('+', ' '))
            : encoded;
}
