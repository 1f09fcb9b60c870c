using Microsoft.Extensions.Logging;

namespace S3Sync.Cli;

/// <summary>Hands out <see cref="EscapingLogger"/>s over another factory's loggers; disposing it disposes that factory.</summary>
public sealed class EscapingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new EscapingLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();
}
