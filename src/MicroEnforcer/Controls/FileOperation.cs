namespace MicroEnforcer.Controls;

/// <summary>
/// What a file syscall does to the file it names. An open may do several at once (read and write,
/// create and truncate): its flags decide, so this is a set; every other call is one of them.
/// </summary>
[Flags]
internal enum FileOperation
{
    None = 0,
    Read = 1 << 0,
    /// <summary>Opened for writing (O_WRONLY, O_RDWR).</summary>
    Write = 1 << 1,
    /// <summary>O_CREAT, or creat(): the file is created if it is not there.</summary>
    Create = 1 << 2,
    /// <summary>O_TRUNC, truncate, ftruncate.</summary>
    Truncate = 1 << 3,
    /// <summary>unlink, unlinkat, rmdir.</summary>
    Delete = 1 << 4,
    Rename = 1 << 5,
    /// <summary>A hard link: the new name is created.</summary>
    Link = 1 << 6,
    Symlink = 1 << 7,
    MakeDirectory = 1 << 8,
    MakeNode = 1 << 9,
    ChangeMode = 1 << 10,
    ChangeOwner = 1 << 11,
    SetXattr = 1 << 12,
    RemoveXattr = 1 << 13,
}

internal static class FileOperationText
{
    /// <summary>The operations as the audit event names them, '|'-separated: "write", "create|write|truncate".</summary>
    public static string Name(this FileOperation operation)
    {
        if (operation == FileOperation.None)
            return "none";
        var names = new List<string>(2);
        foreach (FileOperation one in Enum.GetValues<FileOperation>())
        {
            if (one != FileOperation.None && operation.HasFlag(one))
                names.Add(NameOf(one));
        }
        return string.Join('|', names);
    }

    private static string NameOf(FileOperation one) => one switch
    {
        FileOperation.Read => "read",
        FileOperation.Write => "write",
        FileOperation.Create => "create",
        FileOperation.Truncate => "truncate",
        FileOperation.Delete => "delete",
        FileOperation.Rename => "rename",
        FileOperation.Link => "link",
        FileOperation.Symlink => "symlink",
        FileOperation.MakeDirectory => "mkdir",
        FileOperation.MakeNode => "mknod",
        FileOperation.ChangeMode => "chmod",
        FileOperation.ChangeOwner => "chown",
        FileOperation.SetXattr => "setxattr",
        FileOperation.RemoveXattr => "removexattr",
        _ => one.ToString(),
    };
}
