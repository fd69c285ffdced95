using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// Refuses exec sessions. A session the container runtime starts (kubectl, docker or podman exec;
/// a Kubernetes exec probe) is killed at the exec event of its first program, before that program
/// runs an instruction, or when it is seized, if it was seized after that exec; `microenforcer
/// exec` (what the Kubernetes webhook puts in front of `kubectl exec`) is refused before it runs
/// anything, with the reason on the user's terminal. allowedCommands exempts the first programs
/// of runtime sessions (exec probes), matched against the loaded image's canonical path, which
/// the session cannot choose after the fact.
/// </summary>
internal sealed class BlockContainerExec(BlockContainerExecPolicy policy) : ISessionControl
{
    public const string ControlName = "blockContainerExec";

    public string Name => ControlName;

    public EnforcementMode Mode => policy.Mode;

    public ControlFinding? Evaluate(ExecTarget program, bool seizedAfterExec)
    {
        if (policy.AllowedCommands.Any(glob => glob.Matches(program.CanonicalPath)))
            return null;
        string what = seizedAfterExec ? $"had exec'd {program.CanonicalPath} before it could be decided" : $"execs {program.CanonicalPath}";
        string exempt = policy.AllowedCommands.Count == 0 ? "" : ", which is not in allowedCommands";
        return new ControlFinding(ControlName,
            $"an exec session from outside the container (kubectl, docker or podman exec) {what}{exempt}: exec sessions are blocked (spec.blockContainerExec)");
    }

    // allowedCommands is for what the runtime starts by itself (exec probes): a join would have to
    // resolve its command the way its execvp will, in a process PID 1 does not hold yet.
    public ControlFinding? EvaluateJoin() => new(ControlName, "exec sessions are blocked (spec.blockContainerExec)");
}
