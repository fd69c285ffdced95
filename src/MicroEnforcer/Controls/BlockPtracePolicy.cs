using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// Block ptrace: a workload process may not trace another (PTRACE_ATTACH, PTRACE_SEIZE,
/// PTRACE_TRACEME) nor write into its memory (process_vm_writev, a /proc/PID/mem opened for
/// writing). Off by default: debuggers and strace need exactly these.
/// </summary>
public sealed record BlockPtracePolicy(bool Enabled, EnforcementMode Mode)
    : ControlPolicy(Enabled, Mode);

/// <summary>The block-ptrace policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class BlockPtracePolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public BlockPtracePolicy BlockPtrace => policy.Get<BlockPtracePolicy>();
    }
}
