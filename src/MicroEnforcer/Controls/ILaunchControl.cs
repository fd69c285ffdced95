namespace MicroEnforcer.Controls;

/// <summary>
/// A control that acts when a process is launched under enforcement (the workload, an exec
/// session) rather than on its syscalls: it adds to the <see cref="LaunchPlan"/> the launch shim
/// carries out before the process runs, and looks at the process once it is launched.
/// </summary>
internal interface ILaunchControl : IControl
{
    /// <summary>
    /// Adds what it needs to the plan. Returns why PID 1 cannot carry it out (the enforcer then
    /// refuses to start the workload), or null.
    /// </summary>
    string? Prepare(LaunchPlan plan);

    /// <summary>
    /// <paramref name="pid"/> was launched under the plan and has not run anything of its own yet:
    /// the workload waits in its first execve (<paramref name="path"/>), a session is stopped or
    /// waits for PID 1's answer. <paramref name="process"/> names it for the audit reason.
    /// </summary>
    void Launched(int pid, string process, string? path);
}
