using S3Sync.Reporting;

namespace S3Sync.Tests.Unit;

public sealed class PrintableTests
{
    [Theory]
    [InlineData("plain/ü+->.txt", "plain/ü+->.txt")]
    [InlineData("x\u001b[31my", "x\\x1b[31my")]
    [InlineData("a\nb\tc\rd", "a\\nb\\tc\\rd")]
    [InlineData("back\\slash\u0007", "back\\\\slash\\x07")]
    [InlineData("del\u007f", "del\\x7f")]
    [InlineData("c1\u009b", "c1\\x9b")]
    [InlineData("non\uFFFE\uFFFF", "non\\ufffe\\uffff")]
    [InlineData("txt.\u202Eexe", "txt.\\u202eexe")]
    [InlineData("pair\uD83D\uDE00", "pair\uD83D\uDE00")]
    public void Escape_makes_every_hostile_character_visible_and_leaves_plain_text_alone(string text, string expected) =>
        Assert.Equal(expected, Printable.Escape(text));

    [Fact]
    public void Every_C0_control_and_DEL_is_escaped()
    {
        for (var c = 0; c < 0x20; c++) Assert.DoesNotContain((char)c, Printable.Escape($"k{(char)c}"));
        Assert.DoesNotContain('\u007f', Printable.Escape("k\u007f"));
        Assert.Equal("lone\\ud800", Printable.Escape("lone" + (char)0xD800));
    }
}
