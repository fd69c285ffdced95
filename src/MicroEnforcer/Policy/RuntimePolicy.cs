using System.Collections.ObjectModel;
using System.Text;

namespace MicroEnforcer.Policy;

/// <summary>What a control does when it sees a violation.</summary>
public enum EnforcementMode
{
    /// <summary>Block the violating action.</summary>
    Enforce,

    /// <summary>Let the action happen but report it; used to trial a policy before enforcing it.</summary>
    Audit,
}

/// <summary>A validated runtime policy. Build one with <see cref="PolicyLoader"/> or <see cref="DefaultPolicy"/>.</summary>
/// <param name="Name">The policy's label from <c>metadata.name</c>, shown in logs and audit events.</param>
/// <param name="Mode">The default mode of every control, <c>spec.mode</c>.</param>
/// <param name="DriftPrevention">Blocks executables that were not in the container image.</param>
/// <param name="BlockFilelessExec">Blocks executables that run from memory rather than a file on disk.</param>
/// <param name="ForkGuard">Caps the number of processes in the container (fork bombs).</param>
/// <param name="ReverseShell">Blocks shells and interpreters whose standard streams are network sockets.</param>
public sealed record RuntimePolicy(
    string Name,
    EnforcementMode Mode,
    DriftPreventionPolicy DriftPrevention,
    FilelessExecPolicy BlockFilelessExec,
    ForkGuardPolicy ForkGuard,
    ReverseShellPolicy ReverseShell)
{
    /// <summary>
    /// Whether the workload may use io_uring (<c>spec.allowIoUring</c>). Off by default: operations
    /// submitted through io_uring never pass through seccomp, so they would go around every control
    /// that acts on a syscall. When off, io_uring_setup, io_uring_enter and io_uring_register fail
    /// with ENOSYS, as under Docker's default seccomp profile.
    /// </summary>
    public bool AllowIoUring { get; init; }
}

/// <summary>Drift prevention: executables that were not in the container image may not run.</summary>
/// <param name="Enabled">Whether the control is active at all.</param>
/// <param name="Mode">The control's own mode; inherits <c>spec.mode</c> unless the policy overrides it.</param>
/// <param name="AllowedExecutables">Paths that may run even though they drifted.</param>
public sealed record DriftPreventionPolicy(bool Enabled, EnforcementMode Mode, IReadOnlyList<ExecutableGlob> AllowedExecutables)
{
    // Records compare lists by reference; comparing the patterns lets a reloaded policy be
    // recognised as unchanged.
    public bool Equals(DriftPreventionPolicy? other) =>
        other is not null
        && Enabled == other.Enabled
        && Mode == other.Mode
        && AllowedExecutables.SequenceEqual(other.AllowedExecutables);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Enabled);
        hash.Add(Mode);
        foreach (ExecutableGlob glob in AllowedExecutables)
        {
            hash.Add(glob);
        }

        return hash.ToHashCode();
    }

    // Shows the patterns rather than the list's type name when the policy is logged.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Enabled = {Enabled}, Mode = {Mode}, AllowedExecutables = [{string.Join(", ", AllowedExecutables)}]");
        return true;
    }
}

/// <summary>
/// Fileless execution: executables that have no file on a real filesystem may not run, e.g. a
/// <c>memfd_create</c> file or one that was deleted after being opened.
/// </summary>
/// <param name="Enabled">Whether the control is active at all.</param>
/// <param name="Mode">The control's own mode; inherits <c>spec.mode</c> unless the policy overrides it.</param>
public sealed record FilelessExecPolicy(bool Enabled, EnforcementMode Mode);

/// <summary>Fork guard: new processes are refused once the container holds <see cref="MaxProcesses"/>.</summary>
/// <param name="Enabled">Whether the control is active at all.</param>
/// <param name="Mode">The control's own mode; inherits <c>spec.mode</c> unless the policy overrides it.</param>
/// <param name="MaxProcesses">Processes (not threads) the container may hold at once, from 1 to <see cref="MaxProcessesLimit"/>.</param>
public sealed record ForkGuardPolicy(bool Enabled, EnforcementMode Mode, int MaxProcesses)
{
    /// <summary>The limit when the policy gives none.</summary>
    public const int DefaultMaxProcesses = 1024;

    /// <summary>The largest accepted limit: the kernel's own ceiling on PIDs (PID_MAX_LIMIT on 64-bit).</summary>
    public const int MaxProcessesLimit = 4_194_304;
}

/// <summary>
/// Reverse shell: a shell or interpreter (see <see cref="Interpreters"/>) may not run with its
/// standard streams connected to a network socket, unless the process or the peer is exempted.
/// </summary>
/// <param name="Enabled">Whether the control is active at all.</param>
/// <param name="Mode">The control's own mode; inherits <c>spec.mode</c> unless the policy overrides it.</param>
/// <param name="AllowedProcesses">Executables (absolute path globs) exempted from the control.</param>
/// <param name="AllowedAddresses">Peer networks exempted from the control.</param>
/// <param name="Interpreters">
/// File-name patterns of the programs the control applies to; <c>*</c> matches any run of characters
/// and every other character matches itself. Defaults to <see cref="DefaultInterpreters"/>.
/// </param>
public sealed record ReverseShellPolicy(
    bool Enabled,
    EnforcementMode Mode,
    IReadOnlyList<ExecutableGlob> AllowedProcesses,
    IReadOnlyList<IpNetwork> AllowedAddresses,
    IReadOnlyList<string> Interpreters)
{
    /// <summary>The interpreters the control applies to when the policy does not list its own.</summary>
    public static IReadOnlyList<string> DefaultInterpreters { get; } = new ReadOnlyCollection<string>(
    [
        // Shells.
        "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox",
        // Script interpreters that can open a socket and hand it to a shell.
        "python*", "perl*", "ruby*", "php*", "node", "nodejs", "lua*", "tclsh*", "wish*",
        // Network relays that can wire a socket to a program.
        "nc", "ncat", "netcat", "socat", "telnet",
        // Other programs with a built-in way to run commands over a connection.
        "awk", "gawk", "mawk", "nawk", "ssh", "openssl",
    ]);

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
            if (NameMatches(Interpreters[i], name))
            {
                return true;
            }
        }

        return false;
    }

    // Records compare lists by reference; comparing the entries lets a reloaded policy be
    // recognised as unchanged.
    public bool Equals(ReverseShellPolicy? other) =>
        other is not null
        && Enabled == other.Enabled
        && Mode == other.Mode
        && AllowedProcesses.SequenceEqual(other.AllowedProcesses)
        && AllowedAddresses.SequenceEqual(other.AllowedAddresses)
        && Interpreters.SequenceEqual(other.Interpreters, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Enabled);
        hash.Add(Mode);
        foreach (ExecutableGlob glob in AllowedProcesses)
        {
            hash.Add(glob);
        }

        foreach (IpNetwork network in AllowedAddresses)
        {
            hash.Add(network);
        }

        foreach (string interpreter in Interpreters)
        {
            hash.Add(interpreter, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    /// <summary>
    /// Wildcard match where only <c>*</c> is special. Remembers just the last star, so the cost is
    /// O(n·m) at worst whatever the pattern.
    /// </summary>
    internal static bool NameMatches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> name)
    {
        int p = 0, s = 0, starP = -1, starS = -1;
        while (s < name.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starP = p++;
                starS = s;
            }
            else if (p < pattern.Length && pattern[p] == name[s])
            {
                p++;
                s++;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                s = ++starS;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    // Shows the entries rather than the lists' type names when the policy is logged.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Enabled = {Enabled}, Mode = {Mode}, AllowedProcesses = [{string.Join(", ", AllowedProcesses)}], ")
            .Append($"AllowedAddresses = [{string.Join(", ", AllowedAddresses)}], Interpreters = [{string.Join(", ", Interpreters)}]");
        return true;
    }
}
