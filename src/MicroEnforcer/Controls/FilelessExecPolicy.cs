using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// Fileless execution: executables that have no file on a real filesystem may not run, e.g. a
/// <c>memfd_create</c> file or one that was deleted after being opened.
/// </summary>
public sealed record FilelessExecPolicy(bool Enabled, EnforcementMode Mode)
    : ControlPolicy(Enabled, Mode);

/// <summary>The fileless exec policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class FilelessExecPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public FilelessExecPolicy BlockFilelessExec => policy.Get<FilelessExecPolicy>();
    }
}
