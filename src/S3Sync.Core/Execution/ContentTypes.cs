namespace S3Sync.Execution;

/// <summary>Content-Type from a file's extension, so published files are served with the right type.</summary>
public static class ContentTypes
{
    private static readonly Dictionary<string, string> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html", [".htm"] = "text/html", [".css"] = "text/css", [".js"] = "text/javascript",
        [".mjs"] = "text/javascript", [".json"] = "application/json", [".xml"] = "application/xml",
        [".txt"] = "text/plain", [".md"] = "text/markdown", [".csv"] = "text/csv", [".yml"] = "application/yaml",
        [".yaml"] = "application/yaml", [".svg"] = "image/svg+xml", [".png"] = "image/png", [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg", [".gif"] = "image/gif", [".webp"] = "image/webp", [".avif"] = "image/avif",
        [".ico"] = "image/vnd.microsoft.icon", [".pdf"] = "application/pdf", [".zip"] = "application/zip",
        [".gz"] = "application/gzip", [".tgz"] = "application/gzip", [".tar"] = "application/x-tar",
        [".zst"] = "application/zstd", [".xz"] = "application/x-xz", [".bz2"] = "application/x-bzip2",
        [".7z"] = "application/x-7z-compressed", [".woff"] = "font/woff", [".woff2"] = "font/woff2",
        [".ttf"] = "font/ttf", [".otf"] = "font/otf", [".mp4"] = "video/mp4", [".webm"] = "video/webm",
        [".mp3"] = "audio/mpeg", [".ogg"] = "audio/ogg", [".wav"] = "audio/wav", [".wasm"] = "application/wasm",
        [".sql"] = "application/sql", [".log"] = "text/plain", [".sh"] = "text/x-shellscript",
    };

    public const string Default = "application/octet-stream";

    public static string For(string key) =>
        ByExtension.TryGetValue(Path.GetExtension(key), out var type) ? type : Default;
}
