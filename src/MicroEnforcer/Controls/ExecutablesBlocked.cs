using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// Executables Blocked: executables the list matches may not run, image binaries included
/// (<see cref="ExecutableMatcher"/>; names by the file's own name after symlinks, a multi-call
/// binary's applet, and the name the caller invoked it under, so `nc` blocks a Debian
/// /usr/bin/nc, a link to /bin/nc.openbsd, when run by that name).
///
/// Judged are the program (at entry, then the loaded image at the exec event) and a script its
/// interpreter reads; not the ELF interpreter the kernel maps for a dynamically linked program.
/// An ELF interpreter run as a program with a program argument is refused: the loader opens that
/// program after every check, so it cannot be judged against the list.
/// Paths, not file identity: a hard link or copy of a blocked binary under a name the list does
/// not match is a new path, which drift prevention refuses (not in the image baseline).
/// </summary>
internal sealed class ExecutablesBlocked(ExecutablesBlockedPolicy policy) : IExecControl
{
    public const string ControlName = "executablesBlocked";

    public string Name => ControlName;

    public EnforcementMode Mode => policy.Mode;

    public bool UsesApplet => true;

    public ControlFinding? Evaluate(ExecTarget target)
    {
        if (!policy.Enabled || policy.Executables.Count == 0 || target.Role == ExecRole.ElfInterpreter)
            return null;
        if (ExecutableMatcher.Find(policy.Executables, target, byInvokedName: true) is { } entry)
        {
            string what = target.Applet is { } applet ? $"the {ExecTarget.LastComponent(target.CanonicalPath)} applet '{applet}'" : "it";
            return new ControlFinding(ControlName, $"{what} matches '{entry.Text}' in the blocked executables (spec.executablesBlocked.executables)");
        }
        if (target.LoaderProgram is { } program)
        {
            return new ControlFinding(ControlName,
                $"the ELF interpreter run directly with a program argument ({program}): the loader opens the program after every check, so it cannot be judged against the blocked executables");
        }
        return null;
    }
}
