using System.Text.RegularExpressions;

namespace S3Sync.Config;

/// <summary>Log levels of the seed's <c>loglevel</c> key.</summary>
public enum LogVerbosity { Trace, Debug, Info, Warn, Error, Fatal, Panic }
