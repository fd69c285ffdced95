using MicroEnforcer.Interop;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>One notified call as a control sees it: who made it, which call, its registers.</summary>
internal readonly struct SyscallCall(int tid, SyscallKind kind, in Libc.seccomp_data data, INotificationValidity listener, ulong id)
{
    private readonly Libc.seccomp_data _data = data;

    public int Tid { get; } = tid;

    public SyscallKind Kind { get; } = kind;

    /// <summary>The syscall number as seccomp reported it (which ABI's, is in <see cref="Data"/>).</summary>
    public uint Nr => unchecked((uint)_data.nr);

    public string Name => SyscallClassifier.Name(Kind);

    public Libc.seccomp_data Data => _data;

    public ulong Arg(int index) => ExecRequest.ArgAt(_data, index);

    /// <summary>Whether the caller still waits in this call: what was read of it is still its own.</summary>
    public bool IsStillValid() => listener.IsStillValid(id);
}
