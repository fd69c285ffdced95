namespace MicroEnforcer.Policy;

/// <summary>The kinds of access to a file a policy entry names (File Block's <c>block</c>).</summary>
[Flags]
public enum FileAccessKind
{
    None = 0,
    Read = 1,
    Write = 2,
    Exec = 4,
    All = Read | Write | Exec,
}

/// <summary>The policy text of <see cref="FileAccessKind"/>.</summary>
public static class FileAccessKindText
{
    public static string? Parse(string text, out FileAccessKind access)
    {
        access = text switch
        {
            "read" => FileAccessKind.Read,
            "write" => FileAccessKind.Write,
            "exec" => FileAccessKind.Exec,
            _ => FileAccessKind.None,
        };
        return access == FileAccessKind.None ? $"unknown access '{text}'; allowed values: read, write, exec" : null;
    }

    public static string Describe(FileAccessKind access) =>
        access == FileAccessKind.All ? "read, write, exec" : string.Join(", ",
            new[] { (FileAccessKind.Read, "read"), (FileAccessKind.Write, "write"), (FileAccessKind.Exec, "exec") }
                .Where(pair => (access & pair.Item1) != 0).Select(pair => pair.Item2));
}
