namespace MicroEnforcer.Controls;

/// <summary>
/// The applet a multi-call binary runs, chosen by its argv as busybox's appletlib.c chooses it:
/// the last path component of argv[0], less one leading '-' (a login shell's "-sh"); a name
/// starting with "busybox" (toybox: "toybox") runs the multiplexer, which takes the applet from
/// the next argument the same way ("busybox wget URL", also "busybox busybox wget"), or, for an
/// argument starting with "--" (--list, --install, --help), runs none and stays the multiplexer.
/// So a binary run as "busybox" never hides the applet it runs behind its own name.
/// </summary>
internal static class MultiCallApplet
{
    /// <summary>The applet for <paramref name="argv"/> (argv[0] first); "" when argv is empty (no applet is found by that name).</summary>
    public static string Of(string executablePath, IReadOnlyList<string> argv)
    {
        string multiplexer = ExecTarget.LastComponent(executablePath) == "toybox" ? "toybox" : "busybox";
        if (argv.Count == 0)
            return string.Empty;
        string first = argv[0].StartsWith('-') ? argv[0][1..] : argv[0];
        string name = ExecTarget.LastComponent(first);
        for (int i = 1; name.StartsWith(multiplexer, StringComparison.Ordinal); i++)
        {
            if (i >= argv.Count || argv[i].StartsWith("--", StringComparison.Ordinal))
                return name;
            name = ExecTarget.LastComponent(argv[i]);
        }
        return name;
    }

    /// <summary>How many argv entries <see cref="Of"/> may need: enough for a few nested multiplexers.</summary>
    public const int ArgvNeeded = 8;
}
