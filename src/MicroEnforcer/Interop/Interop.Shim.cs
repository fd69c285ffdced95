using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

/// <summary>Entry points of Native/launch_shim.c; its header comment documents the protocol.</summary>
internal static partial class Shim
{
    internal const int StageSetup = 1;
    internal const int StageFilter = 2;
    internal const int StageHandoff = 3;
    internal const int StageExec = 4;
    internal const int StageCapabilities = 5;
    internal const int StageFiles = 6;

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SpawnRequest
    {
        public byte* File;
        public byte** Argv;
        public void* Filter;
        public uint FilterLength;
        public int HandoffSocket;
        public int NewProcessGroup;
        public int DropPtraceCapability;
        public ulong DropCapabilities;
        public int LandlockRuleset;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct ChildFailure
    {
        public int Stage;
        public int Error;
    }

    [LibraryImport(Library, EntryPoint = "me_spawn_workload")]
    internal static unsafe partial int SpawnWorkload(SpawnRequest* request, int* childPid, int* errpipeRead);

    [LibraryImport(Library, EntryPoint = "me_receive_fd")]
    internal static partial int ReceiveFd(int socket);

    [LibraryImport(Library, EntryPoint = "me_unblock_handled_signals")]
    internal static partial int UnblockHandledSignals();

    internal const int JoinConnect = 1;
    internal const int JoinPeer = 2;
    internal const int JoinProtocol = 3;
    internal const int JoinFilter = 4;
    internal const int JoinHandoff = 5;
    internal const int JoinExec = 6;
    internal const int JoinCapabilities = 7;
    internal const int JoinRefused = 8;
    internal const int JoinFiles = 9;

    /// <summary>The longest refusal reason the protocol carries, in bytes.</summary>
    internal const int MaxRefusal = 255;

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct JoinFailure
    {
        public int Stage;
        public int Error;
        public int PeerPid;
        public fixed byte Reason[MaxRefusal + 1];
    }

    [LibraryImport(Library, EntryPoint = "me_session_listen")]
    internal static unsafe partial int SessionListen(byte* name, int nameLength);

    [LibraryImport(Library, EntryPoint = "me_session_accept")]
    internal static unsafe partial int SessionAccept(int listening, int* peerPid);

    [LibraryImport(Library, EntryPoint = "me_session_send_filter")]
    internal static unsafe partial int SessionSendFilter(int fd, void* filter, uint filterLength, ulong dropCapabilities, int ruleset);

    [LibraryImport(Library, EntryPoint = "me_session_refuse")]
    internal static unsafe partial int SessionRefuse(int fd, byte* reason, uint reasonLength);

    [LibraryImport(Library, EntryPoint = "me_session_acknowledge")]
    internal static partial int SessionAcknowledge(int fd);

    [LibraryImport(Library, EntryPoint = "me_join_session_and_exec")]
    internal static unsafe partial void JoinSessionAndExec(byte* name, int nameLength, byte* file, byte** argv, JoinFailure* failure);

    [LibraryImport(Library, EntryPoint = "me_courier_bind")]
    internal static unsafe partial int CourierBind(byte* name, int nameLength);

    [LibraryImport(Library, EntryPoint = "me_courier_send")]
    internal static unsafe partial int CourierSend(int courier, byte* name, int nameLength, int fd);
}
