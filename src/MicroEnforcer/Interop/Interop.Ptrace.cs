using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

internal static partial class Libc
{
    internal const int PTRACE_CONT = 7;
    internal const int PTRACE_DETACH = 17;
    internal const int PTRACE_GETEVENTMSG = 0x4201;
    internal const int PTRACE_SEIZE = 0x4206;
    internal const int PTRACE_LISTEN = 0x4208;

    internal const int PTRACE_O_TRACEEXEC = 0x10;
    internal const int PTRACE_O_EXITKILL = 0x100000;

    internal const int PTRACE_EVENT_EXEC = 4;
    internal const int PTRACE_EVENT_STOP = 128;

    // All requests for a tracee must come from the thread that seized it: only Tracer calls these.
    [LibraryImport(Library, EntryPoint = "ptrace", SetLastError = true)]
    internal static partial nint Ptrace(int request, int pid, nint addr, nint data);
}
