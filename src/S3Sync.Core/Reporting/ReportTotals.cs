using System.Text.Json.Serialization;
using S3Sync.Planning;

namespace S3Sync.Reporting;

/// <summary>Counts and bytes per kind of difference for one site (or the total). Bytes are the local size, or the
/// remote size for keys only in S3.</summary>
public sealed class ReportTotals : RunTotals
{
    public long InSync { get; set; }
    public long InSyncBytes { get; set; }
    public long Missing { get; set; }
    public long MissingBytes { get; set; }
    public long Differs { get; set; }
    public long DiffersBytes { get; set; }
    public long RemoteOnly { get; set; }
    public long RemoteOnlyBytes { get; set; }
    public long Kept { get; set; }
    public long KeptBytes { get; set; }
    public long CannotCompare { get; set; }
    public long CannotCompareBytes { get; set; }
    public long Errors { get; set; }

    /// <summary>Every line but <c>=</c>: what makes verify exit 1 (or 3 when there are errors).</summary>
    [JsonIgnore]
    public long Differences => Missing + Differs + RemoteOnly + Kept + CannotCompare + Errors;

    public void Add(PlanEntry e)
    {
        switch (e.Symbol)
        {
            case '=': InSync++; InSyncBytes += e.Local?.Size ?? 0; break;
            case '+': Missing++; MissingBytes += e.Local?.Size ?? e.Remote?.Size ?? 0; break;
            case '*': Differs++; DiffersBytes += e.Local?.Size ?? 0; break;
            case '-': RemoteOnly++; RemoteOnlyBytes += e.Remote?.Size ?? e.Local?.Size ?? 0; break;
            case '.': Kept++; KeptBytes += e.Remote?.Size ?? e.Local?.Size ?? 0; break;
            case '?': CannotCompare++; CannotCompareBytes += e.Local?.Size ?? 0; break;
            case '!': Errors++; break;
        }
    }

    public void Add(ReportTotals o)
    {
        InSync += o.InSync; InSyncBytes += o.InSyncBytes; Missing += o.Missing; MissingBytes += o.MissingBytes;
        Differs += o.Differs; DiffersBytes += o.DiffersBytes; RemoteOnly += o.RemoteOnly; RemoteOnlyBytes += o.RemoteOnlyBytes;
        Kept += o.Kept; KeptBytes += o.KeptBytes; CannotCompare += o.CannotCompare; CannotCompareBytes += o.CannotCompareBytes; Errors += o.Errors;
    }
}
