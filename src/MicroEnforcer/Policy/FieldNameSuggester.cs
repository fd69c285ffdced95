namespace MicroEnforcer.Policy;

/// <summary>Finds the known field an unknown one was probably meant to be.</summary>
internal static class FieldNameSuggester
{
    /// <summary>The closest of <paramref name="known"/> to <paramref name="unknown"/>, or null when none is close.</summary>
    public static string? Closest(string unknown, IEnumerable<string> known)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in known)
        {
            int distance = Distance(unknown.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        // Only near misses are worth a suggestion; a distant one reads as noise. Longer names get
        // a little more room for typos.
        int threshold = Math.Clamp(unknown.Length / 3, 1, 3);
        return bestDistance <= threshold ? best : null;
    }

    /// <summary>
    /// Optimal string alignment distance: Levenshtein plus adjacent transpositions, because swapped
    /// letters ("enabeld") are the most common typo and should cost one edit, not two.
    /// </summary>
    internal static int Distance(string a, string b)
    {
        var previous2 = new int[b.Length + 1];
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                int value = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    value = Math.Min(value, previous2[j - 2] + 1);
                }

                current[j] = value;
            }

            (previous2, previous, current) = (previous, current, previous2);
        }

        return previous[b.Length];
    }
}
