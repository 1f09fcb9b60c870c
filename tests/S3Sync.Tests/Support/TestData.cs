namespace S3Sync.Tests.Support;

/// <summary>Reproducible file contents for tests.</summary>
public static class TestData
{
    /// <summary><paramref name="size"/> pseudo-random bytes, the same for the same seed.</summary>
    public static byte[] Bytes(int size, int seed)
    {
        var b = new byte[size];
        new Random(seed).NextBytes(b);
        return b;
    }
}
