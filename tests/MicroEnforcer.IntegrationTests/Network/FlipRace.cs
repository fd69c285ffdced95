using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Network;

/// <summary>
/// What a flip race of net_attack showed (flip_thread, flip_process): how many calls arrived at
/// the blocked endpoint, at the allowed one, and were refused. "0 to the blocked endpoint" proves
/// nothing unless the race ran: under enforcement both the allowed endpoint was reached and the
/// blocked one refused (the flipper had the address on each side at some call); without the
/// control the blocked endpoint was reached.
/// </summary>
internal sealed partial record FlipRace(int ToBlocked, int Allowed, int Refused, int Failed)
{
    [GeneratedRegex(@": (\d+) to the blocked endpoint \((\d+) allowed, (\d+) refused, (\d+) failed\)")]
    private static partial Regex Counts();

    public static FlipRace Parse(string stdout, string attack)
    {
        Match m = Counts().Match(stdout);
        Assert.True(m.Success, $"{attack}: no counts in the output: {stdout}");
        int At(int group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
        return new FlipRace(At(1), At(2), At(3), At(4));
    }

    /// <summary>Without the control: the flipped address reached the blocked endpoint.</summary>
    public void AssertReachedTheBlockedEndpoint(string attack) =>
        Assert.True(ToBlocked > 0 && Allowed > 0, $"{attack}: the race did not reach both endpoints natively: {this}");

    /// <summary>Under enforcement: never the blocked endpoint, and the race ran (both sides hit).</summary>
    public void AssertNeverReachedTheBlockedEndpoint(string attack)
    {
        Assert.True(ToBlocked == 0, $"{attack}: {ToBlocked} calls reached the blocked endpoint: {this}");
        Assert.True(Allowed > 0 && Refused > 0, $"{attack}: the race did not reach both sides ({Allowed} allowed, {Refused} refused): {this}");
    }
}
