using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace S3Sync.Reporting;

/// <summary>The source-generated serializer of every JSON report line (Native AOT: no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JsonReportLine))]
public sealed partial class ReportJsonContext : JsonSerializerContext
{
    /// <summary>Keys stay readable ("ü", "+", "->"); only what JSON requires is escaped. The report is never embedded in HTML.</summary>
    public static ReportJsonContext Readable { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
