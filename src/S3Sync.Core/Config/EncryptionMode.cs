namespace S3Sync.Config;

/// <summary>Server-side encryption a site asks for (<c>sse</c>, <c>sse_customer_key_file</c>).</summary>
public enum EncryptionMode
{
    /// <summary>Nothing is asked for: the bucket's default applies.</summary>
    None,
    /// <summary>SSE-S3, <c>x-amz-server-side-encryption: AES256</c>.</summary>
    S3,
    /// <summary>SSE-KMS, <c>aws:kms</c>, with the key <c>sse_kms_key_id</c> or the account's default.</summary>
    Kms,
    /// <summary>Dual-layer SSE-KMS, <c>aws:kms:dsse</c>.</summary>
    KmsDsse,
    /// <summary>SSE-C: a 256-bit key the client holds, sent with every write, read, HEAD and copy.</summary>
    Customer,
}
