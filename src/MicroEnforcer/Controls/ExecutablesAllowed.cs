using MicroEnforcer.Baseline;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// Executables Allowed: only executables the list matches may run (<see cref="ExecutableMatcher"/>;
/// names by the file's own name after symlinks and a multi-call binary's applet, never by the
/// name the caller invoked it under, which the caller chooses). An empty list allows everything.
///
/// Judged are the program (at entry, then the loaded image at the exec event) and a script its
/// interpreter reads: both must be listed (`/app/run.sh` and `/bin/sh`). The ELF interpreter the
/// kernel maps for a dynamically linked program is not (drift prevention judges its content).
/// An ELF interpreter run as a program must be listed itself, and even then may not run a
/// program argument: the loader opens it after every check. The enforcer's own binary, the very
/// file PID 1 runs from, is allowed wherever it lives: `microenforcer exec` joins through it.
/// </summary>
internal sealed class ExecutablesAllowed(ExecutablesAllowedPolicy policy, FileSignature? launcher) : IExecControl
{
    public const string ControlName = "executablesAllowed";

    public string Name => ControlName;

    public EnforcementMode Mode => policy.Mode;

    public bool UsesApplet => true;

    public ControlFinding? Evaluate(ExecTarget target)
    {
        if (!policy.Enabled || policy.Executables.Count == 0 || target.Role == ExecRole.ElfInterpreter)
            return null;
        if (ExecutableMatcher.Find(policy.Executables, target, byInvokedName: false) is null)
        {
            if (target.Role == ExecRole.Program && launcher is { } self && target.Signature.IsUntouchedSince(self))
                return null;
            string what = target.Applet is { } applet ? $"the {ExecTarget.LastComponent(target.CanonicalPath)} applet '{applet}'" : "it";
            return new ControlFinding(ControlName, $"{what} is not in the allowed executables (spec.executablesAllowed.executables)");
        }
        if (target.LoaderProgram is { } program)
        {
            return new ControlFinding(ControlName,
                $"the ELF interpreter run directly with a program argument ({program}): the loader opens the program after every check, so it cannot be judged against the allowed executables");
        }
        return null;
    }
}
