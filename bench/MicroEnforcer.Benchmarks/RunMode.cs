namespace MicroEnforcer.Benchmarks;

/// <summary>The three ways every workload runs, interleaved in one run.</summary>
internal enum RunMode
{
    /// <summary>The same pid+mount namespaces and root filesystem, no enforcer.</summary>
    Native,

    /// <summary>`microenforcer run` as PID 1 with the default policy (every control on).</summary>
    MicroEnforcer,

    /// <summary>
    /// strace as PID 1, following every process and thread: the stand-in for a ptrace-based
    /// design such as Falco's pdig, which traces every fork, clone and exec.
    /// </summary>
    PtraceEverything,
}

internal static class RunModes
{
    public static readonly RunMode[] All = [RunMode.Native, RunMode.MicroEnforcer, RunMode.PtraceEverything];

    public static string Key(this RunMode mode) => mode switch
    {
        RunMode.Native => "native",
        RunMode.MicroEnforcer => "microenforcer",
        _ => "ptraceEverything",
    };

    public static string Title(this RunMode mode) => mode switch
    {
        RunMode.Native => "native",
        RunMode.MicroEnforcer => "MicroEnforcer",
        _ => "ptrace-everything (strace -f)",
    };
}
