using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace S3Sync.Execution;

/// <summary>How a site's run ended, worst last: the exit code is the worst over all sites.</summary>
/// <remarks><see cref="Credentials"/>: no credentials were found, or the server refused them (exit 5).</remarks>
public enum SiteStatus { Done = 0, Failed = 3, DeletesRefused = 4, Credentials = 5 }
