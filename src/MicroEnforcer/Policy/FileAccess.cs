namespace MicroEnforcer.Policy;

/// <summary>The kinds of access to a file a policy entry names (File Block's <c>block</c>).</summary>
[Flags]
public enum FileAccess
{
    None = 0,
    Read = 1,
    Write = 2,
    Exec = 4,
    All = Read | Write | Exec,
}

/// <summary>The policy text of <see cref="FileAccess"/>.</summary>
public static class FileAccessText
{
    public static string? Parse(string text, out FileAccess access)
    {
        access = text switch
        {
            "read" => FileAccess.Read,
            "write" => FileAccess.Write,
            "exec" => FileAccess.Exec,
            _ => FileAccess.None,
        };
        return access == FileAccess.None ? $"unknown access '{text}'; allowed values: read, write, exec" : null;
    }

    public static string Describe(FileAccess access) =>
        access == FileAccess.All ? "read, write, exec" : string.Join(", ",
            new[] { (FileAccess.Read, "read"), (FileAccess.Write, "write"), (FileAccess.Exec, "exec") }
                .Where(pair => (access & pair.Item1) != 0).Select(pair => pair.Item2));
}
