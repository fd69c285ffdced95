using System.Diagnostics.CodeAnalysis;

namespace MicroEnforcer.Policy;

/// <summary>
/// One entry of an executables list (Executables Allowed, Executables Blocked): an absolute path
/// glob (<see cref="PathGlob"/>), matched against the canonical path of the file that runs,
/// or a bare name without '/' (<see cref="ExecutableName"/>, <c>*</c> allowed), matched against
/// file names (which ones is the control's decision: see its docs).
/// </summary>
public sealed class ExecutableEntry : IEquatable<ExecutableEntry>
{
    private ExecutableEntry(string text, PathGlob? glob)
    {
        Text = text;
        Glob = glob;
    }

    /// <summary>The entry as written in the policy.</summary>
    public string Text { get; }

    /// <summary>The glob of a path entry; null for a name.</summary>
    public PathGlob? Glob { get; }

    public bool IsName => Glob is null;

    /// <summary>Parses one entry; on failure <paramref name="error"/> says why, with a hint.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out ExecutableEntry? entry, out string error)
    {
        entry = null;
        error = string.Empty;
        if (text.Length == 0)
        {
            error = "the entry is empty: give an absolute path glob (e.g. /usr/bin/curl) or a file name (e.g. curl)";
            return false;
        }
        if (text[0] == '/')
        {
            if (!PathGlob.TryParse(text, out PathGlob? glob, out string globError))
            {
                error = $"invalid glob '{text}': {globError}";
                return false;
            }
            entry = new ExecutableEntry(text, glob);
            return true;
        }
        if (text.Contains('/', StringComparison.Ordinal))
        {
            // A relative path would depend on the working directory of whoever execs: never what was meant.
            string name = text[(text.LastIndexOf('/') + 1)..];
            error = name.Length == 0
                ? $"'{text}' is a relative path: give an absolute path glob (e.g. '/{text.TrimEnd('/')}/*') or a file name"
                : $"'{text}' is a relative path: give an absolute path glob (e.g. '/{text}') or a file name (e.g. '{name}')";
            return false;
        }
        entry = new ExecutableEntry(text, null);
        return true;
    }

    /// <summary>A path entry whose glob matches <paramref name="canonicalPath"/>.</summary>
    public bool MatchesPath(string canonicalPath) => Glob?.Matches(canonicalPath) == true;

    /// <summary>A name entry that matches the file name <paramref name="name"/>.</summary>
    public bool MatchesName(string? name) => Glob is null && !string.IsNullOrEmpty(name) && ExecutableName.Matches(Text, name);

    public override string ToString() => Text;

    public bool Equals(ExecutableEntry? other) => other is not null && Text == other.Text;

    public override bool Equals(object? obj) => Equals(obj as ExecutableEntry);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Text);
}
