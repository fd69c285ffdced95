using System.Buffers.Binary;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Procfs;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>
/// Keeps workload processes out of each other: ptrace attach (PTRACE_ATTACH, PTRACE_SEIZE, and
/// PTRACE_TRACEME, by which a child hands itself to its parent) and process_vm_writev into
/// another process fail with EPERM in enforce mode, decided on the call's registers alone (no
/// race). An open for writing of another process's /proc/PID/mem is refused too, but that
/// decision rests on a path in the caller's memory (see <see cref="ProcMemoryFile"/> for the race).
/// PID 1 is not filtered: its own tracer and memory reads are unaffected.
///
/// A process writing into itself (process_vm_writev to its own pid, /proc/self/mem) is allowed:
/// some runtimes patch their own code that way, and it is no way into another process.
/// </summary>
internal sealed class PtraceGuard(BlockPtracePolicy policy) : ISyscallControl
{
    public const string ControlName = "ptrace";

    public const uint PTRACE_TRACEME = 0, PTRACE_ATTACH = 0x10, PTRACE_SEIZE = 0x4206;

    private const ulong RESOLVE_IN_ROOT = 0x10;
    private const int O_NOFOLLOW = 0x20000;
    private const int OpenHowSize = 24;   // struct open_how { u64 flags, mode, resolve; } (OPEN_HOW_SIZE_VER0)

    private static readonly int s_pid1 = Environment.ProcessId;

    public string Name => ControlName;

    public EnforcementMode Mode => policy.Mode;

    public IReadOnlyList<SyscallKind> Kinds { get; } =
        [SyscallKind.Ptrace, SyscallKind.ProcessVmWritev, SyscallKind.Open, SyscallKind.OpenAt, SyscallKind.Creat, SyscallKind.OpenAt2];

    public SyscallVerdict Decide(in SyscallCall call)
    {
        ControlFinding? finding = call.Kind switch
        {
            SyscallKind.Ptrace => Attach(call),
            SyscallKind.ProcessVmWritev => VmWrite(call),
            _ => MemOpen(call),
        };
        return finding is null ? SyscallVerdict.Continue : SyscallVerdict.Object(finding, Libc.EPERM);
    }

    private static ControlFinding Attach(in SyscallCall call)
    {
        uint request = (uint)call.Arg(0);
        if (request == PTRACE_TRACEME)
        {
            int parent = ProcStatus.Read(call.Tid)?.PPid ?? 0;
            return new ControlFinding(ControlName, $"ptrace(PTRACE_TRACEME): would let its parent, {Describe(parent)}, trace it");
        }
        int target = unchecked((int)(uint)call.Arg(1));
        return new ControlFinding(ControlName,
            $"ptrace({(request == PTRACE_SEIZE ? "PTRACE_SEIZE" : "PTRACE_ATTACH")}) of {Describe(target)}: one workload process tracing another");
    }

    private static ControlFinding? VmWrite(in SyscallCall call)
    {
        int target = unchecked((int)(uint)call.Arg(0));
        if (IsItself(call.Tid, target))
            return null;
        return new ControlFinding(ControlName, $"process_vm_writev into {Describe(target)}: one workload process writing into another's memory");
    }

    private static ControlFinding? MemOpen(in SyscallCall call)
    {
        (int dirFd, ulong pathAddress, int flags) = call.Kind switch
        {
            SyscallKind.Open => (Libc.AT_FDCWD, call.Word(0), (int)(uint)call.Arg(1)),
            SyscallKind.Creat => (Libc.AT_FDCWD, call.Word(0), Libc.O_WRONLY),
            _ => (unchecked((int)(uint)call.Arg(0)), call.Word(1), (int)(uint)call.Arg(2)),
        };
        int tid = call.Tid;
        if (ProcessMemory.TryReadCBytes(tid, pathAddress, ProcessMemory.PathMax, out byte[]? path) != 0 || path is null)
            return null;   // the kernel fails the call with the same error
        if (call.Kind == SyscallKind.OpenAt2)
        {
            Span<byte> how = stackalloc byte[OpenHowSize];
            if (call.Arg(3) < OpenHowSize || ProcessMemory.TryRead(tid, call.Word(2), how) != 0)
                return null;   // EINVAL or EFAULT
            flags = (int)BinaryPrimitives.ReadUInt64LittleEndian(how);
            // RESOLVE_IN_ROOT makes dirfd the root: an absolute path starts there.
            if ((BinaryPrimitives.ReadUInt64LittleEndian(how[16..]) & RESOLVE_IN_ROOT) != 0 && path.Length > 0 && path[0] == '/')
                path = path.AsSpan().TrimStart((byte)'/') is { Length: > 0 } rest ? rest.ToArray() : "."u8.ToArray();
            if ((flags & (Libc.O_WRONLY | Libc.O_RDWR)) == 0)
                return null;
        }
        if (ProcMemoryFile.Owner(tid, dirFd, path, noFollow: (flags & O_NOFOLLOW) != 0) is not int owner || IsItself(tid, owner))
            return null;
        return new ControlFinding(ControlName,
            $"open of {PathText.Display(PathText.Decode(path))} for writing: the memory of {Describe(owner)}, another workload process");
    }

    // The caller's own memory: its pid, or "self" as PID 1 resolved it (PID 1's own pid, which
    // no workload process can write into anyway: it lacks PID 1's capabilities).
    // A sibling thread's id names the same memory: compared by thread group, not by id.
    private static bool IsItself(int tid, int target)
    {
        if (target == s_pid1 || target == tid)
            return true;
        int own = ProcStatus.Read(tid)?.Tgid ?? tid;
        return target == own || ProcStatus.Read(target)?.Tgid == own;
    }

    private static string Describe(int pid)
    {
        string? exe = NativePath.ReadLink($"/proc/{pid}/exe");
        return exe is null ? $"pid {pid}" : $"pid {pid} ({PathText.Display(exe)})";
    }
}
