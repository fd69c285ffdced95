using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

internal static partial class Libc
{
    internal const int PR_SET_CHILD_SUBREAPER = 36;
    internal const int PR_CAPBSET_READ = 23;
    internal const int CAP_SETPCAP = 8;
    internal const int CAP_SYS_PTRACE = 19;

    internal const int SIGKILL = 9;

    internal const int WNOHANG = 1;
    internal const int __WALL = 0x40000000;

    /// <summary>getrandom(2): fills <paramref name="buffer"/> from the kernel's random pool. The byte count, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "getrandom", SetLastError = true)]
    internal static unsafe partial nint GetRandom(byte* buffer, nuint length, uint flags);

    [LibraryImport(Library, EntryPoint = "getpid")]
    internal static partial int GetPid();

    [LibraryImport(Library, EntryPoint = "prctl", SetLastError = true)]
    internal static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport(Library, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    [LibraryImport(Library, EntryPoint = "waitpid", SetLastError = true)]
    internal static unsafe partial int WaitPid(int pid, int* status, int options);

    [LibraryImport(Library, EntryPoint = "_exit")]
    internal static partial void Exit(int status);

    internal static int WEXITSTATUS(int status) => (status >> 8) & 0xff;
    internal static bool WIFSIGNALED(int status) => (status & 0x7f) != 0 && (status & 0x7f) != 0x7f;
    internal static int WTERMSIG(int status) => status & 0x7f;
    internal static bool WIFSTOPPED(int status) => (status & 0xff) == 0x7f;
    internal static int WSTOPSIG(int status) => (status >> 8) & 0xff;
}
