using MicroEnforcer.Interop;
using MicroEnforcer.Procfs;
using Xunit;

namespace MicroEnforcer.Tests.Procfs;

/// <summary>/proc/TID/syscall of real threads: where Fork Guard learns that a fork it let through is done.</summary>
public sealed class TaskSyscallTests
{
    private const long ReadNr = 0, PpollNr = 271, PollNr = 7;

    [Fact]
    public void AThreadBlockedInASyscallShowsItsNumber()
    {
        int[] fds = new int[2];
        Assert.Equal(0, pipe(fds));
        int tid = 0;
        var ready = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            tid = Libc.GetTid();
            ready.Set();
            byte[] buffer = new byte[1];
            _ = read(fds[0], buffer, 1);   // blocks until the test writes
        });
        thread.Start();
        ready.Wait();
        TaskSyscallState state = TaskSyscallState.Running;
        long number = -1;
        for (int i = 0; i < 200 && state != TaskSyscallState.InSyscall; i++)
        {
            Thread.Sleep(5);
            state = TaskSyscall.Read(tid, out number);
        }
        _ = write(fds[1], new byte[1], 1);
        thread.Join();
        _ = close(fds[0]);
        _ = close(fds[1]);

        Assert.Equal(TaskSyscallState.InSyscall, state);
        Assert.Equal(ReadNr, number);
    }

    [Fact]
    public void AThreadThatIsGoneIsGone()
    {
        int tid = 0;
        var thread = new Thread(() => tid = Libc.GetTid());
        thread.Start();
        thread.Join();
        for (int i = 0; i < 200 && Directory.Exists($"/proc/{tid}"); i++)
            Thread.Sleep(5);

        Assert.Equal(TaskSyscallState.Gone, TaskSyscall.Read(tid, out _));
    }

    [Fact]
    public void ASleepingProcessIsInItsSyscall()
    {
        using var sleeper = System.Diagnostics.Process.Start("sleep", "30")!;
        try
        {
            TaskSyscallState state = TaskSyscallState.Running;
            long number = -1;
            for (int i = 0; i < 200 && state != TaskSyscallState.InSyscall; i++)
            {
                Thread.Sleep(5);
                state = TaskSyscall.Read(sleeper.Id, out number);
            }

            Assert.Equal(TaskSyscallState.InSyscall, state);
            Assert.NotEqual(PpollNr, number);   // clock_nanosleep (230) or nanosleep (35), not a poll
            Assert.NotEqual(PollNr, number);
        }
        finally
        {
            sleeper.Kill();
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int pipe(int[] fds);

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern nint read(int fd, byte[] buffer, nint count);

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, byte[] buffer, nint count);

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
