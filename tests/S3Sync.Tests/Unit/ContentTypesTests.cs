using S3Sync.Remote;

namespace S3Sync.Tests.Unit;

/// <summary>The extension table generated from mime.types (scripts/gen-content-types.py).</summary>
public sealed class ContentTypesTests
{
    [Theory]
    [InlineData("app/main.py", "text/x-python")]
    [InlineData("clips/a.MOV", "video/quicktime")]
    [InlineData("site.webmanifest", "application/manifest+json")]
    [InlineData("bin/app.wasm", "application/wasm")]
    [InlineData("img/photo.avif", "image/avif")]
    [InlineData("js/module.mjs", "text/javascript")]
    [InlineData("index.html", "text/html")]
    [InlineData("data.json", "application/json")]
    [InlineData("doc.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    [InlineData("font.woff2", "font/woff2")]
    [InlineData("config.yaml", "application/yaml")]
    [InlineData("hls/segment0.ts", "video/mp2t")]
    [InlineData("README", ContentTypes.Default)]
    [InlineData("archive.unknownext", ContentTypes.Default)]
    [InlineData("dir.d/noext", ContentTypes.Default)]
    public void Extension_gives_the_media_type(string key, string expected) => Assert.Equal(expected, ContentTypes.For(key));

    [Fact]
    public void Table_is_the_complete_set_not_a_short_list() => Assert.True(ContentTypes.Count > 1000, $"{ContentTypes.Count} extensions");
}
