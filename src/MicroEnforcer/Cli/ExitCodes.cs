namespace MicroEnforcer.Cli;

/// <summary>
/// The launcher's own exit statuses. Otherwise `run` exits with the workload's status, or 128+N
/// when the workload died of signal N (as a shell reports it). The codes follow sysexits.h and
/// the shell's 126/127, so they are told apart from each other; they cannot be told apart from a
/// workload that happens to exit with the same number, which the log line before them resolves.
/// </summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Bad command line (EX_USAGE).</summary>
    public const int Usage = 64;

    /// <summary>Internal error of the launcher (EX_SOFTWARE).</summary>
    public const int Internal = 70;

    /// <summary>Enforcement could not be set up: the seccomp filter or its listener, or a launch control (EX_OSERR).</summary>
    public const int EnforcementUnavailable = 71;

    /// <summary>`microenforcer exec`: the container's policy refuses exec sessions (EX_NOPERM).</summary>
    public const int SessionRefused = 77;

    /// <summary>The policy file is missing or invalid, or it refuses the entrypoint; nothing was started (EX_CONFIG).</summary>
    public const int BadPolicy = 78;

    /// <summary>The command was found but cannot be executed, or was refused as drift.</summary>
    public const int CommandNotExecutable = 126;

    /// <summary>The command was not found.</summary>
    public const int CommandNotFound = 127;
}
