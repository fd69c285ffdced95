using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>Package Block: the files of the listed OS packages cannot be read, written or executed.</summary>
/// <param name="Enabled">On, and at least one package listed: with none listed the control has nothing to do and is off.</param>
/// <param name="Fallback">Where the control cannot enforce (no Landlock, or an rpm image): refuse to start, or audit.</param>
/// <param name="Packages">Package names (see Packages.PackageName), as dpkg and apk know them.</param>
public sealed record PackageBlockPolicy(bool Enabled, EnforcementMode Mode, FallbackMode Fallback, PolicyList<string> Packages)
    : ControlPolicy(Enabled, Mode);

/// <summary>The Package Block policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class PackageBlockPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public PackageBlockPolicy PackageBlock => policy.Get<PackageBlockPolicy>();
    }
}
