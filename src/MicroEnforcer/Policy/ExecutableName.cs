namespace MicroEnforcer.Policy;

/// <summary>
/// A pattern over an executable's file name (no '/'), e.g. <c>nginx</c> or <c>python3*</c>: <c>*</c>
/// matches any run of characters and every other character matches itself. Comparison is
/// case-sensitive, as Linux file names are. The reverse-shell control's interpreter names and the
/// executables lists' bare names are both matched here.
/// </summary>
public static class ExecutableName
{
    /// <summary>
    /// Null when <paramref name="text"/> is a usable name pattern; otherwise why not, with a hint
    /// (a path is given its last segment as the suggestion, since names are compared with file names).
    /// </summary>
    public static string? Check(string text)
    {
        if (text.Length == 0)
            return "the executable name is empty";
        if (!text.Contains('/', StringComparison.Ordinal))
            return null;
        string baseName = text[(text.LastIndexOf('/') + 1)..];
        return baseName.Length == 0
            ? "give a file name, not a path (it is matched against the executable's file name)"
            : $"give a file name, not a path (it is matched against the executable's file name); did you mean '{baseName}'?";
    }

    /// <summary>
    /// Wildcard match where only <c>*</c> is special. Remembers just the last star, so the cost is
    /// O(n·m) at worst whatever the pattern.
    /// </summary>
    public static bool Matches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> name)
    {
        var match = new NamePattern(pattern, name);
        return Wildcard.Matches(ref match);
    }

    private readonly ref struct NamePattern(ReadOnlySpan<char> pattern, ReadOnlySpan<char> name) : IWildcardPattern
    {
        private readonly ReadOnlySpan<char> _pattern = pattern;
        private readonly ReadOnlySpan<char> _name = name;

        public int PatternLength => _pattern.Length;

        public int SubjectLength => _name.Length;

        public bool IsAnyRun(int p) => _pattern[p] == '*';

        public bool Matches(int p, int s) => _pattern[p] == _name[s];
    }
}
