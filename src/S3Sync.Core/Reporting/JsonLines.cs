using System.Text.Json;

namespace S3Sync.Reporting;

/// <summary>
/// The one writer of JSON Lines reports (verify's, sync's and restore's): one <see cref="JsonReportLine"/> per line,
/// serialized by <see cref="ReportJsonContext.Readable"/>. Safe to call from every worker: a line is written whole.
/// </summary>
public sealed class JsonLines(TextWriter output)
{
    private readonly Lock _lock = new();

    public void Write(JsonReportLine line)
    {
        var text = JsonSerializer.Serialize(line, ReportJsonContext.Readable.JsonReportLine);
        lock (_lock) output.WriteLine(text);
    }
}
