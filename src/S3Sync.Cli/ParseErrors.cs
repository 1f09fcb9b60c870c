namespace S3Sync.Cli;

/// <summary>
/// System.CommandLine names .NET types when a value does not convert ("Cannot parse argument 'X' for option
/// '--grace' as expected type 'System.Nullable`1[System.Int32]'."); this says it in the user's terms, naming the flag.
/// No regex: the AOT binary has little room.
/// </summary>
public static class ParseErrors
{
    private const string Head = "Cannot parse argument '";
    private const string Middle = "' for option '";
    private const string Tail = "' as expected type '";

    public static string Describe(string message)
    {
        if (!message.StartsWith(Head, StringComparison.Ordinal)) return message;
        var middle = message.LastIndexOf(Middle, StringComparison.Ordinal);
        var tail = message.LastIndexOf(Tail, StringComparison.Ordinal);
        if (middle < Head.Length || tail < middle) return message;
        var value = message[Head.Length..middle];
        var option = message[(middle + Middle.Length)..tail];
        var type = message[(tail + Tail.Length)..];
        var what = type.Contains("Int32", StringComparison.Ordinal) ? $"a whole number from {int.MinValue} to {int.MaxValue}"
            : type.Contains("Int64", StringComparison.Ordinal) ? "a whole number"
            : type.Contains("Boolean", StringComparison.Ordinal) ? "true or false"
            : "a valid value";
        return $"{option}: '{value}' is not {what}";
    }
}
