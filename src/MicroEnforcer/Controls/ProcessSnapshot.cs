using MicroEnforcer.Interop;
using MicroEnforcer.Procfs;

namespace MicroEnforcer.Controls;

/// <summary>
/// Who made a call, read from /proc while the caller still waits in it: an event written later
/// (an aggregated one, at the end of its window) still names the process, which may be gone by then.
/// </summary>
internal sealed record ProcessSnapshot(int Tid, ProcStatus? Status, string Exe, string? Cmdline)
{
    public int Pid => Status?.Tgid ?? Tid;

    public static ProcessSnapshot Take(int tid) =>
        new(tid, ProcStatus.Read(tid), NativePath.ReadLink($"/proc/{tid}/exe") ?? "?", ProcCmdline.Read(tid));
}
