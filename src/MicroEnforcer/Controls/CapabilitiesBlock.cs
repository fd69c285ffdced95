using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Procfs;

namespace MicroEnforcer.Controls;

/// <summary>
/// Capabilities Block. Enforce mode: the listed capabilities are taken from the bounding, ambient,
/// inheritable, permitted and effective sets of the workload and of each exec session by the
/// launch shim, before the process runs anything of its own (and before NO_NEW_PRIVS and the
/// filter). Without them in the bounding set and under NO_NEW_PRIVS no later execve brings them
/// back, whatever setuid bit or file capability the file carries. If the bounding set cannot be
/// changed (no CAP_SETPCAP), the process is not launched: the control never promises less than it
/// does. Audit mode: nothing is removed; a process launched holding a listed capability in any set
/// is reported.
/// </summary>
internal sealed class CapabilitiesBlock(CapabilitiesBlockPolicy policy, Outcome outcome) : ILaunchControl
{
    public const string ControlName = "capabilitiesBlock";

    public string Name => ControlName;

    public EnforcementMode Mode => policy.Mode;

    public string? Prepare(LaunchPlan plan)
    {
        if (policy.Mode != EnforcementMode.Enforce)
            return null;
        plan.Drop(policy.Capabilities);
        // The workload is PID 1's fork, with PID 1's credentials: what PID 1 could not drop from
        // its bounding set, neither could the workload. Said now, before anything starts.
        if (Capabilities.ReadSets(Environment.ProcessId) is not { } own)
            return "cannot read PID 1's own capabilities (/proc/self/status)";
        ulong stuck = policy.Capabilities & own.Bounding;
        if (stuck != 0 && (own.Effective & (1UL << Libc.CAP_SETPCAP)) == 0)
        {
            return $"{ControlName}: {LinuxCapability.Describe(stuck)} cannot be removed from the workload's bounding set: "
                + "PID 1 lacks CAP_SETPCAP. Give the container CAP_SETPCAP, or drop these capabilities in the container "
                + "runtime (e.g. --cap-drop), or set the control's mode to audit";
        }
        return null;
    }

    public void Launched(int pid, string process, string? path)
    {
        if (Capabilities.ReadSets(pid) is not { } sets)
            return;   // gone already
        ulong held = policy.Capabilities & sets.Any;
        if (held == 0)
            return;
        string where = string.Join(", ", sets.Holding(held));
        string reason = policy.Mode == EnforcementMode.Enforce
            ? $"{process} still holds {LinuxCapability.Describe(held)} ({where}) after the launch removed them"
            : $"{process} holds {LinuxCapability.Describe(held)} ({where}) at launch; enforce mode would remove them";
        outcome.AtLaunch(pid, new ControlFinding(ControlName, reason), policy.Mode, path);
    }
}
