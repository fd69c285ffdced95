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
        string multiplexer = Multiplexer(executablePath);
        if (argv.Count == 0)
            return string.Empty;
        string name = Argv0Name(argv[0]);
        for (int i = 1; name.StartsWith(multiplexer, StringComparison.Ordinal); i++)
        {
            if (i >= argv.Count || argv[i].StartsWith("--", StringComparison.Ordinal))
                return name;
            name = ExecTarget.LastComponent(argv[i]);
        }
        return name;
    }

    /// <summary>Whether argv[0] alone does not settle the applet: it names the multiplexer, which reads the next argument.</summary>
    public static bool NeedsMoreThanArgv0(string executablePath, string argv0) =>
        Argv0Name(argv0).StartsWith(Multiplexer(executablePath), StringComparison.Ordinal);

    private static string Multiplexer(string executablePath) => ExecTarget.LastComponent(executablePath) == "toybox" ? "toybox" : "busybox";

    private static string Argv0Name(string argv0) => ExecTarget.LastComponent(argv0.StartsWith('-') ? argv0[1..] : argv0);

    /// <summary>How many argv entries <see cref="Of"/> may need: enough for a few nested multiplexers.</summary>
    public const int ArgvNeeded = 8;
}
