namespace MicroEnforcer.Policy;

/// <summary>
/// One entry of a file list: an absolute path glob and the kinds of access it concerns. In the
/// policy either a bare glob (every kind) or a mapping <c>{path: GLOB, block: [read, write, exec]}</c>.
/// </summary>
public sealed record FileEntry(PathGlob Path, FileAccessKind Access)
{
    public override string ToString() => Access == FileAccessKind.All ? Path.Pattern : $"{Path.Pattern} ({FileAccessKindText.Describe(Access)})";
}
