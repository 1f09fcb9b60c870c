using System.Text.Json.Serialization;

namespace S3Sync.Reporting;

/// <summary>The <c>totals</c> object of a summary line: <see cref="ReportTotals"/> (verify: differences by kind) or
/// <see cref="SyncTotals"/> (sync and restore: what was done). Written as the concrete type, with no discriminator.</summary>
[JsonPolymorphic]
[JsonDerivedType(typeof(ReportTotals))]
[JsonDerivedType(typeof(SyncTotals))]
public abstract class RunTotals;
