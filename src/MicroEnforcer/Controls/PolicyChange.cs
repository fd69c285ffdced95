using System.Collections.Immutable;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>
/// What a policy reload does to the running controls: which change live and which wait for a
/// restart, and the policy that runs meanwhile (<see cref="Effective"/>: the new file's, with
/// every pending part as it runs now).
///
/// The filter the workload and its sessions carry cannot change: it was installed before their
/// first instruction, and a process can only add filters to itself. So a control changes live
/// when the installed filter already notifies every call its new policy needs, and refuses in the
/// kernel nothing the new policy would let through; modes, lists and limits of a control that is
/// on always do. A control that acts at launch (Landlock rules, dropped capabilities:
/// <see cref="ControlDefinition.ActsAtLaunch"/>) keeps what the processes were launched with. The
/// alternative, a filter that notifies every call any control could want, would make every
/// workload pay for controls it does not run (every open, connect and send through PID 1).
/// </summary>
/// <param name="Applied">Registry indexes of the controls made anew from the new policy.</param>
/// <param name="AppliedNames">Their policy field names, for the log and the audit event.</param>
/// <param name="Pending">Each part that waits for a restart, with why.</param>
internal sealed record PolicyChange(RuntimePolicy Effective, ImmutableHashSet<int> Applied, IReadOnlyList<string> AppliedNames, IReadOnlyList<string> Pending)
{
    /// <summary>Whether the new policy changes nothing that runs.</summary>
    public bool ChangesNothing => Applied.IsEmpty && Pending.Count == 0;

    public static PolicyChange Plan(RuntimePolicy running, ImmutableArray<FilterRule> installed, RuntimePolicy desired)
    {
        var applied = ImmutableHashSet.CreateBuilder<int>();
        var appliedNames = new List<string>();
        var pending = new List<string>();
        var effective = desired.Controls.ToBuilder();
        var installedRules = installed.ToHashSet();
        var desiredRules = ControlRegistry.FilterRules(desired).ToHashSet();
        for (int i = 0; i < ControlRegistry.All.Length; i++)
        {
            ControlDefinition definition = ControlRegistry.All[i];
            ControlPolicy now = running.Controls[i], wanted = desired.Controls[i];
            if (now == wanted)
                continue;
            string? why = WhyNotLive(definition, now, wanted, installedRules, desiredRules);
            if (why is null)
            {
                applied.Add(i);
                appliedNames.Add(definition.Name);
            }
            else
            {
                pending.Add($"{definition.Name}: {why}");
                effective[i] = now;
            }
        }
        RuntimePolicy result = desired with { Controls = effective.MoveToImmutable() };
        if (desired.AllowIoUring != running.AllowIoUring)
        {
            pending.Add($"allowIoUring: the filter {(running.AllowIoUring ? "lets io_uring through" : "refuses io_uring")} in the kernel");
            result = result with { AllowIoUring = running.AllowIoUring };
        }
        return new PolicyChange(result, applied.ToImmutable(), appliedNames, pending);
    }

    private static string? WhyNotLive(ControlDefinition definition, ControlPolicy now, ControlPolicy wanted, HashSet<FilterRule> installed, HashSet<FilterRule> desired)
    {
        if ((now.Enabled || wanted.Enabled) && definition.ActsAtLaunch)
            return "it acts when a process is launched, and the workload was launched under the old policy";
        if (wanted.Enabled && definition.Rules(wanted).FirstOrDefault(rule => !installed.Contains(rule)) is { } missing)
            return $"the installed filter does not {Describe(missing)}";
        // A rule that refuses in the kernel (not a notification) stays in force however the policy changes.
        if (now.Enabled && definition.Rules(now).FirstOrDefault(rule => rule.Action != SeccompConstants.RET_USER_NOTIF && !desired.Contains(rule)) is { } refusing)
            return $"the installed filter refuses {refusing.Syscall.Name} itself";
        return null;
    }

    private static string Describe(FilterRule rule) =>
        rule.Action == SeccompConstants.RET_USER_NOTIF ? $"notify {rule.Syscall.Name}{(rule.Test is null ? "" : " (with this argument test)")}" : $"refuse {rule.Syscall.Name}";
}
