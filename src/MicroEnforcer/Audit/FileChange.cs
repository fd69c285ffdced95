namespace MicroEnforcer.Audit;

/// <summary>
/// A change to a file, as File Integrity Monitoring reports it (the event's "file" object).
/// Hashes are SHA-256 in lower-case hex; where one is null, its note says why (absent, not a
/// regular file, larger than maxHashBytes, unreadable).
/// </summary>
/// <param name="Operation">create, write, truncate, delete, rename, link, symlink, mkdir, mknod, chmod, chown, setxattr, removexattr.</param>
/// <param name="Path">The file the call acts on (rename's and link's old name).</param>
/// <param name="NewPath">rename's and link's new name.</param>
/// <param name="LinkTarget">symlink's target text.</param>
/// <param name="ChangeSeen">Whether the change was seen to happen (inotify) before "after" was hashed; false: not within the wait (the call may have failed, or a writer still holds the file open).</param>
internal sealed record FileChange(string Operation, string Path, string? NewPath, string? LinkTarget,
    string? Sha256Before, string? BeforeNote, string? Sha256After, string? AfterNote, bool ChangeSeen);
