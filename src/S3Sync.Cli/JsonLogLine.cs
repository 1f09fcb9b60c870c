using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace S3Sync.Cli;

/// <summary>
/// The JSON form of a log line, the console logger's JSON format plus the site: <c>{"Timestamp", "EventId",
/// "LogLevel", "Category", "Message", "site" (when the line is about one site), "State": {the message's values}}</c>.
/// Written with <see cref="Utf8JsonWriter"/> (no reflection: Native AOT safe); every string is escaped by it.
/// </summary>
public static class JsonLogLine
{
    public static string Format(DateTimeOffset utcNow, LogLevel level, string category, EventId eventId, string message, IReadOnlyList<KeyValuePair<string, object?>>? state, Exception? exception)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("Timestamp", utcNow.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            json.WriteNumber("EventId", eventId.Id);
            json.WriteString("LogLevel", level.ToString());
            json.WriteString("Category", category);
            json.WriteString("Message", message.ReplaceLineEndings(" "));
            if (exception is not null) json.WriteString("Exception", exception.Message);
            if (state?.FirstOrDefault(p => p.Key == "Site").Value is { } site) json.WriteString("site", Convert.ToString(site, CultureInfo.InvariantCulture));
            if (state is { Count: > 0 })
            {
                json.WriteStartObject("State");
                json.WriteString("Message", message.ReplaceLineEndings(" "));
                foreach (var (key, value) in state)
                {
                    switch (value)
                    {
                        case null: json.WriteNull(key); break;
                        case bool b: json.WriteBoolean(key, b); break;
                        case double or float when !double.IsFinite(Convert.ToDouble(value, CultureInfo.InvariantCulture)):
                            json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture));
                            break;
                        case int or long or short or byte or uint or ulong or double or float or decimal:
                            json.WritePropertyName(key);
                            json.WriteRawValue(Convert.ToString(value, CultureInfo.InvariantCulture)!);
                            break;
                        default: json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture)); break;
                    }
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
