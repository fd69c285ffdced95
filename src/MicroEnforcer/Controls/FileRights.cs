namespace MicroEnforcer.Controls;

/// <summary>
/// Rights on files and directories, as Landlock knows them (the values are Landlock's
/// LANDLOCK_ACCESS_FS_* bits, so a set is handed to the kernel as it is). A right on a directory
/// covers everything beneath it.
/// </summary>
[Flags]
internal enum FileRights : ulong
{
    None = 0,
    Execute = 1 << 0,
    WriteFile = 1 << 1,
    ReadFile = 1 << 2,
    ReadDir = 1 << 3,
    RemoveDir = 1 << 4,
    RemoveFile = 1 << 5,
    MakeChar = 1 << 6,
    MakeDir = 1 << 7,
    MakeReg = 1 << 8,
    MakeSock = 1 << 9,
    MakeFifo = 1 << 10,
    MakeBlock = 1 << 11,
    MakeSym = 1 << 12,
    /// <summary>Linking or renaming across directories (ABI 2). Denied by every layer unless a rule grants it.</summary>
    Refer = 1 << 13,
    /// <summary>truncate(2), ftruncate(2) and O_TRUNC (ABI 3).</summary>
    Truncate = 1 << 14,

    /// <summary>Reading a file or listing a directory.</summary>
    Read = ReadFile | ReadDir,

    /// <summary>Creating, removing or relinking entries of a directory.</summary>
    ChangeEntries = RemoveDir | RemoveFile | MakeChar | MakeDir | MakeReg | MakeSock | MakeFifo | MakeBlock | MakeSym | Refer,

    /// <summary>Changing a file's content, or a directory's entries: what Read-Only denies.</summary>
    Change = WriteFile | Truncate | ChangeEntries,

    /// <summary>The rights a rule on a file (not a directory) may carry.</summary>
    OnFile = Execute | WriteFile | ReadFile | Truncate,
}
