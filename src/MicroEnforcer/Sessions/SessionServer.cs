using System.Collections.Immutable;
using System.Text;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Procfs;
using MicroEnforcer.Seccomp;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Sessions;

/// <summary>
/// Serves `microenforcer exec`: a session that joins enforcement before it execs its command
/// (the protocol is at the end of Native/launch_shim.c). Each client gets the workload's filter
/// and the capabilities to drop (the launch plan), carries them out itself, and hands back its listener, which from then on is answered like the workload's. One
/// connection at a time on this thread, each bounded by the socket's 5-second timeouts.
/// A session control (<see cref="ISessionControl"/>) may refuse the join: the client is sent the
/// reason instead of the filter, prints it and runs nothing.
/// </summary>
internal sealed class SessionServer(ImmutableArray<BpfInstruction> filter, LiveControls live, NotificationListeners listeners,
    Outcome outcome, string policyName, ILogger log)
{
    public void Start()
    {
        if (SessionSocket.Name() is not { } name)
        {
            Log.SessionServerStopped(log, "cannot read /proc/self/ns/pid");
            return;
        }
        int listening;
        unsafe
        {
            fixed (byte* p = name)
                listening = Shim.SessionListen(p, name.Length);
        }
        if (listening < 0)
        {
            Log.SessionServerStopped(log, Libc.DescribeErrno(-listening));
            return;
        }
        NamedThread.Start("session-server", () => Serve(listening));
    }

    private unsafe void Serve(int listening)
    {
        while (true)
        {
            int peer;
            int connection = Shim.SessionAccept(listening, &peer);
            if (connection < 0)
            {
                if (-connection is Libc.ECONNABORTED or Libc.EINTR)
                    continue;
                Log.SessionServerStopped(log, Libc.DescribeErrno(-connection));
                return;
            }
            try
            {
                Admit(connection, peer);
            }
            finally
            {
                Libc.Close(connection);
            }
        }
    }

    private unsafe void Admit(int connection, int peer)
    {
        if (peer <= 0)
        {
            Log.SessionJoinRefused(log, "the client is not in this container's pid namespace");
            return;
        }
        if (Refusal(peer) is { } refusal)
        {
            byte[] reason = Encoding.UTF8.GetBytes(refusal);
            int told;
            fixed (byte* text = reason)
                told = Shim.SessionRefuse(connection, text, (uint)Math.Min(reason.Length, Shim.MaxRefusal));
            // Untold, the client sees the connection close without a filter, and runs nothing either.
            Log.SessionJoinRefused(log, told == 0 ? $"pid {peer}: {refusal}" : $"pid {peer}: {refusal} (telling it failed: {Libc.DescribeErrno(told)})");
            return;
        }
        int error;
        fixed (BpfInstruction* program = filter.AsSpan())
            error = Shim.SessionSendFilter(connection, program, (uint)filter.Length, live.Current.Launch.DropCapabilities, live.Current.Launch.FileRulesetFd);
        if (error != 0)
        {
            Log.SessionJoinRefused(log, $"pid {peer}: sending the filter: {Libc.DescribeErrno(error)}");
            return;
        }
        int listener = Shim.ReceiveFd(connection);
        if (listener < 0)
        {
            Log.SessionJoinRefused(log, $"pid {peer}: no listener received: {Libc.DescribeErrno(-listener)}");
            return;
        }
        // Whatever descriptor arrived, it must be a seccomp listener, or the receiver would spin on it.
        if (NativePath.ReadLink($"/proc/self/fd/{listener}") != "anon_inode:seccomp notify")
        {
            Libc.Close(listener);
            Log.SessionJoinRefused(log, $"pid {peer}: what it sent is not a seccomp listener");
            return;
        }
        string command = ProcCmdline.Read(peer) ?? "?";
        listeners.Session(listener, $"exec session pid {peer} (microenforcer exec)");
        live.Current.Launched(peer, "the exec session (microenforcer exec)");
        if (Shim.SessionAcknowledge(connection) != 0)
            return;   // it gave up waiting: its filter has our listener, so it is enforced regardless
        Log.SessionJoined(log, peer, command);
    }

    // The session controls' answer, reported through the outcome under the refusing control:
    // null admits the join (in audit mode after reporting it).
    private string? Refusal(int peer)
    {
        string[] argv = ProcCmdline.ReadArgv(peer) ?? [];
        // `microenforcer exec [--] CMD ARGS...`: what the session asked to run.
        int start = Array.IndexOf(argv, "exec") + 1;
        if (start > 0 && start < argv.Length && argv[start] == "--")
            start++;
        string program = start > 0 && start < argv.Length ? argv[start] : "?";
        foreach (ISessionControl control in live.Current.Sessions)
        {
            if (control.EvaluateJoin() is { } finding &&
                outcome.AtCall(peer, finding, control.Mode, Libc.EACCES, "none", program, program, string.Join(' ', argv)) != 0)
                return $"refused by policy '{policyName}': {finding.Reason}";
        }
        return null;
    }
}
