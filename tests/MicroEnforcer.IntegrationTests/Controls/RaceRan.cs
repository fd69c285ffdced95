using System.Globalization;
using System.Text.RegularExpressions;

namespace MicroEnforcer.IntegrationTests.Controls;

/// <summary>
/// A flip race (file_attack's flip and write_flip) proves nothing unless both sides were hit:
/// some opens reached the decoy and some were refused on the target. Without that, "never" or
/// "unchanged" would also be what a race that never ran prints.
/// </summary>
internal static partial class RaceRan
{
    [GeneratedRegex(@"\((\d+) opens, (\d+) refused\)")]
    private static partial Regex Counts();

    public static void Assert(string stdout, string attack)
    {
        Match counts = Counts().Match(stdout);
        Xunit.Assert.True(counts.Success, $"{attack}: no counts in the output: {stdout}");
        int opened = int.Parse(counts.Groups[1].Value, CultureInfo.InvariantCulture);
        int refused = int.Parse(counts.Groups[2].Value, CultureInfo.InvariantCulture);
        Xunit.Assert.True(opened > 0 && refused > 0, $"{attack}: the race did not reach both sides ({opened} opens of the decoy, {refused} refused on the target)");
    }
}
