namespace S3Sync.Cli;

/// <summary>Progress written as whole lines on <paramref name="Error"/> every <paramref name="Every"/>
/// (<c>--progress</c> off a terminal, <c>--stats</c>).</summary>
public sealed record ProgressLines(TextWriter Error, TimeSpan Every)
{
    private readonly Lock _gate = new();

    public void Write(string line)
    {
        lock (_gate)
        {
            Error.WriteLine(line);
            Error.Flush();
        }
    }
}
