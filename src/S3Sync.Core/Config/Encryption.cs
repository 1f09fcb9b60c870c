using System.Security.Cryptography;

namespace S3Sync.Config;

/// <summary>
/// A site's server-side encryption, resolved. The SSE-C key is read from <see cref="CustomerKeyFile"/> when the
/// configuration is loaded; <see cref="ToString"/> and the record's printed form show the file, never the key.
/// </summary>
public sealed record Encryption
{
    public static readonly Encryption None = new();

    /// <summary>What <c>sse</c> accepts, as the value sent in <c>x-amz-server-side-encryption</c>.</summary>
    public static readonly IReadOnlyList<string> Modes = ["AES256", "aws:kms", "aws:kms:dsse"];

    public EncryptionMode Mode { get; init; }

    /// <summary>The KMS key (id, ARN or alias) for <see cref="EncryptionMode.Kms"/> and <see cref="EncryptionMode.KmsDsse"/>; null: the default key.</summary>
    public string? KmsKeyId { get; init; }

    /// <summary>Where the SSE-C key was read from.</summary>
    public string? CustomerKeyFile { get; init; }

    private readonly byte[]? _customerKey;

    /// <summary>The SSE-C key (32 bytes), for <see cref="EncryptionMode.Customer"/>.</summary>
    public ReadOnlyMemory<byte> CustomerKey
    {
        get => _customerKey;
        init => _customerKey = value.ToArray();
    }

    /// <summary>The value of <c>x-amz-server-side-encryption</c>, or null (none, SSE-C).</summary>
    public string? Header => Mode switch
    {
        EncryptionMode.S3 => "AES256",
        EncryptionMode.Kms => "aws:kms",
        EncryptionMode.KmsDsse => "aws:kms:dsse",
        _ => null,
    };

    public bool IsKms => Mode is EncryptionMode.Kms or EncryptionMode.KmsDsse;

    /// <summary>The SSE-C key as the <c>...-customer-key</c> header carries it.</summary>
    public string CustomerKeyBase64 => Convert.ToBase64String(_customerKey ?? []);

    /// <summary>The <c>...-customer-key-MD5</c> header: the key's MD5, base64. Also what tells two keys apart.</summary>
    public string CustomerKeyMd5Base64 => Convert.ToBase64String(MD5.HashData(_customerKey ?? []));

    /// <summary>A line for logs and <c>config check</c>: the mode and the key's id or file, never the key itself.</summary>
    public override string ToString() => Mode switch
    {
        EncryptionMode.None => "none",
        EncryptionMode.Customer => $"SSE-C (key from {CustomerKeyFile})",
        _ => KmsKeyId is null ? Header! : $"{Header} (key {KmsKeyId})",
    };

    public bool Equals(Encryption? other) =>
        other is not null && Mode == other.Mode && KmsKeyId == other.KmsKeyId && CustomerKey.Span.SequenceEqual(other.CustomerKey.Span);

    public override int GetHashCode() => HashCode.Combine(Mode, KmsKeyId);

    /// <summary>Records print every property; this one must not show the key.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Mode = ").Append(ToString());
        return true;
    }
}
