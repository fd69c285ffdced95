using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

internal static partial class Libc
{
    internal const int PTRACE_PEEKDATA = 2;
    internal const int PTRACE_POKEDATA = 5;
    internal const int PTRACE_CONT = 7;
    internal const int PTRACE_GETREGS = 12;
    internal const int PTRACE_SETREGS = 13;
    internal const int PTRACE_DETACH = 17;
    internal const int PTRACE_SYSCALL = 24;
    internal const int PTRACE_GETEVENTMSG = 0x4201;
    internal const int PTRACE_SEIZE = 0x4206;
    internal const int PTRACE_LISTEN = 0x4208;

    internal const int PTRACE_O_TRACESYSGOOD = 0x1;
    internal const int PTRACE_O_TRACEFORK = 0x2;
    internal const int PTRACE_O_TRACEVFORK = 0x4;
    internal const int PTRACE_O_TRACECLONE = 0x8;
    internal const int PTRACE_O_TRACEEXEC = 0x10;
    internal const int PTRACE_O_EXITKILL = 0x100000;

    internal const int PTRACE_EVENT_FORK = 1;
    internal const int PTRACE_EVENT_VFORK = 2;
    internal const int PTRACE_EVENT_CLONE = 3;
    internal const int PTRACE_EVENT_EXEC = 4;
    internal const int PTRACE_EVENT_STOP = 128;

    internal const int SIGTRAP = 5;

    /// <summary>The x86-64 register set of PTRACE_GETREGS (struct user_regs_struct).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct user_regs_struct
    {
        public ulong r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
        public ulong rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss;
        public ulong fs_base, gs_base, ds, es, fs, gs;
    }

    /// <summary>The code segment selector of a 64-bit user task (a compat task has 0x23).</summary>
    internal const ulong UserCodeSegment64 = 0x33;

    // All requests for a tracee must come from the thread that seized it: only Tracer calls these.
    [LibraryImport(Library, EntryPoint = "ptrace", SetLastError = true)]
    internal static partial nint Ptrace(int request, int pid, nint addr, nint data);
}
