using System.Buffers.Text;

namespace MicroEnforcer.Procfs;

/// <summary>Where a task is, as /proc/TID/syscall tells: in which syscall it is blocked, if any.</summary>
internal enum TaskSyscallState
{
    /// <summary>The task no longer exists.</summary>
    Gone,

    /// <summary>Blocked in the syscall <see cref="TaskSyscall.Number"/>.</summary>
    InSyscall,

    /// <summary>Blocked outside any syscall (a page fault, a stop): it is in user mode.</summary>
    NotInSyscall,

    /// <summary>On a CPU or runnable ("running"): the file cannot say where.</summary>
    Running,

    /// <summary>The file could not be read (no ptrace access to the task).</summary>
    Unknown,
}

/// <summary>
/// Reads /proc/TID/syscall: "NR ARGS... SP PC" for a task blocked in a syscall (NR as the task's
/// ABI numbers it, with the x32 bit: what seccomp reported), "-1 SP PC" for one blocked outside
/// any, "running" for one that is not blocked. Needs ptrace access to the task (PID 1 has it).
/// </summary>
internal static class TaskSyscall
{
    public static TaskSyscallState Read(int tid, out long number)
    {
        number = -1;
        Span<byte> buffer = stackalloc byte[256];
        int n = ProcFile.ReadOnce($"/proc/{tid}/syscall", buffer);
        if (n == -Interop.Libc.ENOENT || n == -Interop.Libc.ESRCH)
            return TaskSyscallState.Gone;
        if (n <= 0)
            return TaskSyscallState.Unknown;
        ReadOnlySpan<byte> text = buffer[..n];
        if (text.StartsWith("running"u8))
            return TaskSyscallState.Running;
        int end = text.IndexOfAny((byte)' ', (byte)'\n');
        if (!Utf8Parser.TryParse(end < 0 ? text : text[..end], out number, out _))
            return TaskSyscallState.Unknown;
        return number < 0 ? TaskSyscallState.NotInSyscall : TaskSyscallState.InSyscall;
    }
}
