
namespace S3Sync.Watching;

/// <summary>One command of the schedule. <see cref="Ticket"/> (uploads) is set by the shell's worker as it takes the
/// job, before it reads the file; <see cref="Key"/> of a folder delete ends with '/'; a full sync carries its reason.</summary>
public sealed record KeyCommand(KeyCommandKind Kind, string Key, UploadTicket? Ticket = null);
