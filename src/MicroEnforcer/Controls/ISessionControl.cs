namespace MicroEnforcer.Controls;

/// <summary>
/// A control that decides exec sessions: processes that enter the running container from outside
/// (kubectl, docker, podman exec) and `microenforcer exec`. The tracer asks it about the program a
/// session runs, at the exec event of the session's first exec or, for a session seized after that
/// exec, at the seize; the session server asks it whether a `microenforcer exec` may join. Its
/// findings go through <see cref="Outcome"/>: killed (enforce) or reported (audit).
/// </summary>
internal interface ISessionControl : IControl
{
    /// <summary>Null when the session may run <paramref name="program"/>.</summary>
    /// <param name="seizedAfterExec">
    /// The session had exec'd its program before the tracer held it still (seized after the exec,
    /// or exec'd between the seize and this question: then it waits at its exec event, unrun).
    /// </param>
    ControlFinding? Evaluate(ExecTarget program, bool seizedAfterExec);

    /// <summary>Null when `microenforcer exec` may join; else the finding, whose reason the user is told.</summary>
    ControlFinding? EvaluateJoin();
}
