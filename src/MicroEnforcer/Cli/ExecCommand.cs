using System.Runtime.InteropServices;
using MicroEnforcer.Interop;
using MicroEnforcer.Launcher;
using MicroEnforcer.Sessions;

namespace MicroEnforcer.Cli;

/// <summary>
/// `microenforcer exec -- CMD [ARGS...]`: the way into a running container with no window. It
/// joins the enforcement of the container's PID 1 (the workload's filter, answered by PID 1)
/// before it execs CMD, so CMD's own exec is already decided. Without a reachable enforcer it
/// refuses to run CMD at all: a session that asked to be enforced is never silently not. When the
/// policy refuses exec sessions (spec.blockContainerExec), PID 1 says so instead of sending the
/// filter, and CMD is not run (77).
/// </summary>
internal static class ExecCommand
{
    public static unsafe int Execute(IReadOnlyList<string> command)
    {
        if (SessionSocket.Name() is not { } name)
            return Fail("cannot read /proc/self/ns/pid", ExitCodes.EnforcementUnavailable);

        using var argv = new NativeArgv(RawCommandLine.Tail(command.Count));
        Shim.JoinFailure failure;
        fixed (byte* socketName = name)
            Shim.JoinSessionAndExec(socketName, name.Length, argv.File, argv.Pointer, &failure);

        // Only failures return.
        string error = Libc.DescribeErrno(failure.Error);
        return failure.Stage switch
        {
            Shim.JoinConnect => Fail($"no enforcer in this container to join (PID 1 is not microenforcer run, or predates exec sessions): {error}",
                ExitCodes.EnforcementUnavailable),
            Shim.JoinPeer => Fail($"the session socket is not served by this container's PID 1 (peer pid {failure.PeerPid}); refusing to join it",
                ExitCodes.EnforcementUnavailable),
            Shim.JoinProtocol => Fail($"PID 1 did not send a usable filter: {error}", ExitCodes.EnforcementUnavailable),
            Shim.JoinCapabilities => Fail($"cannot remove the capabilities the policy blocks (capabilitiesBlock): {error}; refusing to run {command[0]}",
                ExitCodes.EnforcementUnavailable),
            Shim.JoinFiles => Fail($"cannot restrict files with the policy's Landlock rule set (fileBlock, readOnly, packageBlock): {error}; refusing to run {command[0]}",
                ExitCodes.EnforcementUnavailable),
            Shim.JoinFilter => Fail($"cannot install the filter: {error}", ExitCodes.EnforcementUnavailable),
            Shim.JoinHandoff => Fail($"PID 1 did not take this session's listener: {error}", ExitCodes.EnforcementUnavailable),
            Shim.JoinRefused => Fail(PathText.Decode(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(failure.Reason)), ExitCodes.SessionRefused),
            _ => Fail($"{command[0]}: {error}", failure.Error == Libc.ENOENT ? ExitCodes.CommandNotFound : ExitCodes.CommandNotExecutable),
        };
    }

    private static int Fail(string message, int status)
    {
        StandardStreams.Error.WriteLine($"microenforcer exec: {message}");
        return status;
    }
}
