using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>
/// Read-Only Directories and Files, running: a path is read-only when it, or a directory above
/// it, matches one of the policy's paths, and neither it nor a directory above it matches an
/// exception. The attribute changes (chmod, chown, xattrs) are refused by the
/// <see cref="AttributeChangeGuard"/>, which PID 1 performs itself.
/// </summary>
internal sealed class ReadOnlyPaths : ISyscallControl
{
    public const string ControlName = "readOnly";

    private readonly ReadOnlyPolicy _policy;
    private readonly AttributeChangeGuard _attributes;

    public ReadOnlyPaths(ReadOnlyPolicy policy, Outcome outcome)
    {
        _policy = policy;
        _attributes = new AttributeChangeGuard(ControlName, IsReadOnly, policy.Mode, outcome);
    }

    public string Name => ControlName;

    public EnforcementMode Mode => _policy.Mode;

    public IReadOnlyList<SyscallKind> Kinds => _attributes.Kinds;

    public SyscallVerdict Decide(in SyscallCall call) => _attributes.Decide(call);

    public bool IsReadOnly(string path) => UnderAny(_policy.Paths, path) && !UnderAny(_policy.Exceptions, path);

    private static bool UnderAny(PolicyList<PathGlob> globs, string path)
    {
        for (string? at = path; at is not null; at = Parent(at))
        {
            foreach (PathGlob glob in globs)
            {
                if (glob.Matches(at))
                    return true;
            }
        }
        return false;
    }

    private static string? Parent(string path)
    {
        if (path == "/")
            return null;
        int slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }
}
