using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Launcher;

/// <summary>
/// Forks the workload through the launch shim with the launch plan carried
/// out (capabilities dropped, files restricted) and the seccomp filter installed as its last steps before execve, and receives the filter's notification listener. The protocol is the table at the top
/// of Native/launch_shim.c.
/// </summary>
internal static class WorkloadLauncher
{
    internal sealed record Started(int Pid, int ListenerFd, int ErrpipeFd);

    /// <summary>Why the workload did not start: the stage and errno reported by the child.</summary>
    internal sealed record Failure(int Stage, int Errno)
    {
        public string StageName => Stage switch
        {
            Shim.StageSetup => "process setup",
            Shim.StageFilter => "installing the seccomp filter",
            Shim.StageHandoff => "handing over the notification listener",
            Shim.StageCapabilities => "removing the capabilities the policy blocks",
            Shim.StageFiles => "restricting files with the policy's Landlock rule set",
            _ => "exec",
        };
    }

    /// <summary>Forks and returns once the listener is in hand, or returns the child's failure.</summary>
    public static unsafe (Started? Started, Failure? Failure, int ChildPid) Spawn(
        IReadOnlyList<byte[]> command, ReadOnlySpan<BpfInstruction> filter, LaunchPlan plan, bool newProcessGroup)
    {
        int* sockets = stackalloc int[2];
        if (Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0, sockets) != 0)
            throw new SystemCallException("socketpair", Libc.LastErrno);

        // Everything the child touches is prepared here: it may not allocate after fork().
        using var argv = new NativeArgv(command);
        {
            int childPid, errpipe, rc;
            fixed (BpfInstruction* program = filter)
            {
                var request = new Shim.SpawnRequest
                {
                    File = argv.File,
                    Argv = argv.Pointer,
                    Filter = program,
                    FilterLength = (uint)filter.Length,
                    HandoffSocket = sockets[1],
                    NewProcessGroup = newProcessGroup ? 1 : 0,
                    DropPtraceCapability = 1,
                    DropCapabilities = plan.DropCapabilities,
                    LandlockRuleset = plan.FileRulesetFd,
                };
                rc = Shim.SpawnWorkload(&request, &childPid, &errpipe);
            }
            Libc.Close(sockets[1]);
            if (rc != 0)
            {
                Libc.Close(sockets[0]);
                throw new SystemCallException("fork", rc);
            }

            int listener = Shim.ReceiveFd(sockets[0]);
            Libc.Close(sockets[0]);
            if (listener < 0)
            {
                Failure failure = ReadFailure(errpipe) ?? new Failure(Shim.StageHandoff, -listener);
                Libc.Close(errpipe);
                return (null, failure, childPid);
            }
            return (new Started(childPid, listener, errpipe), null, childPid);
        }
    }

    /// <summary>Blocks until the workload's execve succeeded (null) or failed (its failure).</summary>
    public static Failure? WaitForExec(Started started)
    {
        Failure? failure = ReadFailure(started.ErrpipeFd);
        Libc.Close(started.ErrpipeFd);
        return failure;
    }

    private static unsafe Failure? ReadFailure(int errpipe)
    {
        Shim.ChildFailure failure;
        nint n;
        do
        {
            n = Libc.Read(errpipe, (byte*)&failure, (nuint)sizeof(Shim.ChildFailure));
        } while (n < 0 && Libc.LastErrno == Libc.EINTR);
        return n == sizeof(Shim.ChildFailure) ? new Failure(failure.Stage, failure.Error) : null;
    }
}
