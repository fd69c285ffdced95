using System.Globalization;

using MicroEnforcer.Interop;
namespace MicroEnforcer.Procfs;

/// <summary>What a process's file descriptors are, through /proc/PID/fd.</summary>
internal static class ProcessDescriptors
{
    /// <summary>The INET socket open as <paramref name="fd"/> in <paramref name="pid"/>, or null.</summary>
    public static InetSocket? InetSocketAt(int pid, int fd)
    {
        string? target = NativePath.ReadLink($"/proc/{pid}/fd/{fd}");
        return SocketInode(target) is ulong inode ? SocketTable.Find(pid, inode) : null;
    }

    public static bool IsOpen(int pid, int fd) => NativePath.ReadLink($"/proc/{pid}/fd/{fd}") is not null;

    /// <summary>"socket:[12345]" → 12345.</summary>
    public static ulong? SocketInode(string? linkTarget) =>
        linkTarget is not null && linkTarget.StartsWith("socket:[", StringComparison.Ordinal) && linkTarget.EndsWith(']') &&
        ulong.TryParse(linkTarget.AsSpan(8, linkTarget.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode)
            ? inode
            : null;
}
