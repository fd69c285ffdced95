using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// Reverse shell: a shell or interpreter (see <see cref="Interpreters"/>) may not run with its
/// standard streams connected to a network socket, unless the process or the peer is exempted.
/// </summary>
/// <param name="AllowedProcesses">Executables (absolute path globs) exempted from the control.</param>
/// <param name="AllowedAddresses">Peer networks exempted from the control.</param>
/// <param name="Interpreters">
/// File-name patterns of the programs the control applies to (<see cref="ExecutableName"/>): <c>*</c>
/// matches any run of characters and every other character matches itself. Defaults to <see cref="DefaultInterpreters"/>.
/// </param>
public sealed record ReverseShellPolicy(
    bool Enabled,
    EnforcementMode Mode,
    PolicyList<PathGlob> AllowedProcesses,
    PolicyList<IpNetwork> AllowedAddresses,
    PolicyList<string> Interpreters)
    : ControlPolicy(Enabled, Mode)
{
    /// <summary>The interpreters the control applies to when the policy does not list its own.</summary>
    public static PolicyList<string> DefaultInterpreters { get; } =
    [
        // Shells.
        "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox",
        // Script interpreters that can open a socket and hand it to a shell.
        "python*", "perl*", "ruby*", "php*", "node", "nodejs", "lua*", "tclsh*", "wish*",
        // Network relays that can wire a socket to a program.
        "nc", "ncat", "netcat", "socat", "telnet",
        // Other programs with a built-in way to run commands over a connection.
        "awk", "gawk", "mawk", "nawk", "ssh", "openssl",
    ];

    /// <summary>
    /// Whether <paramref name="fileName"/>, an executable's file name such as <c>python3.12</c>,
    /// matches one of <see cref="Interpreters"/>. Given a path, only its last segment is compared.
    /// Comparison is case-sensitive, as Linux file names are.
    /// </summary>
    public bool IsInterpreter(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        ReadOnlySpan<char> name = fileName.AsSpan(fileName.LastIndexOf('/') + 1);
        if (name.IsEmpty)
        {
            return false;
        }

        // Indexed, not foreach: asked twice per exec, and a list's enumerator through the
        // interface is an allocation each time.
        for (int i = 0; i < Interpreters.Count; i++)
        {
            if (ExecutableName.Matches(Interpreters[i], name))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>The reverse shell policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class ReverseShellPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public ReverseShellPolicy ReverseShell => policy.Get<ReverseShellPolicy>();
    }
}
