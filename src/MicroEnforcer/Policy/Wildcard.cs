namespace MicroEnforcer.Policy;

/// <summary>
/// A pattern of elements, some of which match any run of subject elements (<c>*</c> in a file
/// name, <c>**</c> among path segments), the others one element each.
/// </summary>
internal interface IWildcardPattern
{
    int PatternLength { get; }

    int SubjectLength { get; }

    /// <summary>Pattern element <paramref name="p"/> matches any run of subject elements, none included.</summary>
    bool IsAnyRun(int p);

    /// <summary>Pattern element <paramref name="p"/>, not a run, matches subject element <paramref name="s"/>.</summary>
    bool Matches(int p, int s);
}

/// <summary>
/// The one matching loop of every wildcard in the policy (file names, a glob's characters, a
/// glob's segments). It remembers just the last run element and retries it one subject element
/// further on a mismatch, so the cost is O(n·m) at worst whatever the pattern: no backtracking
/// blow-up from a pattern a policy author wrote.
/// </summary>
internal static class Wildcard
{
    public static bool Matches<T>(scoped ref T pattern)
        where T : IWildcardPattern, allows ref struct
    {
        int p = 0, s = 0, runP = -1, runS = -1;
        while (s < pattern.SubjectLength)
        {
            if (p < pattern.PatternLength && pattern.IsAnyRun(p))
            {
                runP = p++;
                runS = s;
            }
            else if (p < pattern.PatternLength && pattern.Matches(p, s))
            {
                p++;
                s++;
            }
            else if (runP >= 0)
            {
                p = runP + 1;
                s = ++runS;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.PatternLength && pattern.IsAnyRun(p))
        {
            p++;
        }

        return p == pattern.PatternLength;
    }
}
