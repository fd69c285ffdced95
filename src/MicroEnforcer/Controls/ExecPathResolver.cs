using System.Text;
using MicroEnforcer.Baseline;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Controls;

/// <summary>
/// Resolves the file an exec names into PID 1's view of the filesystem, through the caller's own
/// /proc links: its cwd for relative paths, its fd for execveat's dirfd, its root for absolute
/// paths, and the fd itself for AT_EMPTY_PATH. The result is an O_PATH descriptor of the very
/// file object, its statx, and its canonical path.
/// </summary>
internal static class ExecPathResolver
{
    /// <summary>The path to open on the caller's behalf, or null for an empty path without AT_EMPTY_PATH.</summary>
    public static string? LookupPath(int tid, int dirFd, string path, int flags)
    {
        if (path.Length == 0)
            return (flags & Libc.AT_EMPTY_PATH) != 0 && dirFd >= 0 ? $"/proc/{tid}/fd/{dirFd}" : null;
        if (path[0] == '/')
        {
            // /proc/self means the caller, not us.
            if (TryRewriteProcSelf(tid, path, out string? rewritten))
                return rewritten;
            return $"/proc/{tid}/root{path}";
        }
        string directory = dirFd == Libc.AT_FDCWD ? $"/proc/{tid}/cwd" : $"/proc/{tid}/fd/{dirFd}";
        return $"{directory}/{path}";
    }

    internal static bool TryRewriteProcSelf(int tid, string path, out string? rewritten)
    {
        foreach ((string prefix, string replacement) in new[]
                 {
                     ("/proc/self", $"/proc/{tid}"),
                     ("/proc/thread-self", $"/proc/{tid}/task/{tid}"),
                 })
        {
            if (path == prefix || path.StartsWith(prefix + "/", StringComparison.Ordinal))
            {
                rewritten = replacement + path[prefix.Length..];
                return true;
            }
        }
        rewritten = null;
        return false;
    }

    /// <summary>Opens <paramref name="lookupPath"/> with O_PATH. Returns the fd, or -errno.</summary>
    public static int Open(string lookupPath, int execFlags)
    {
        int flags = Libc.O_PATH | Libc.O_CLOEXEC;
        if ((execFlags & Libc.AT_SYMLINK_NOFOLLOW) != 0)
            flags |= Libc.O_NOFOLLOW;
        int fd = Libc.Open(lookupPath, flags, 0);
        return fd >= 0 ? fd : -Libc.LastErrno;
    }

    /// <summary>readlink(2) into a string; null on error.</summary>
    public static unsafe string? ReadLink(string path)
    {
        byte[] buffer = new byte[4096];
        fixed (byte* p = buffer)
        {
            nint n = Libc.ReadLink(path, p, (nuint)buffer.Length);
            return n < 0 ? null : Encoding.UTF8.GetString(buffer, 0, (int)n);
        }
    }

    /// <summary>The target of an open O_PATH fd, at syscall entry.</summary>
    public static ExecTarget? Describe(int tid, int fd, string requestedPath)
    {
        string self = $"/proc/self/fd/{fd}";
        string? canonical = ReadLink(self);
        if (canonical is null || FileSignature.TryRead(fd, out FileSignature signature) != 0)
            return null;
        // execveat(fd, "", AT_EMPTY_PATH) runs under the fd's number as its name, as the kernel does.
        string invoked = requestedPath.Length == 0 ? "?" : ExecTarget.LastComponent(requestedPath);
        return new ExecTarget(tid, ExecStage.Entry, canonical, signature, self, invoked);
    }

    /// <summary>The image a process is running, once an exec has loaded it.</summary>
    public static ExecTarget? DescribeLoaded(int pid)
    {
        string exe = $"/proc/{pid}/exe";
        string? canonical = ReadLink(exe);
        if (canonical is null || FileSignature.TryRead(exe, out FileSignature signature) != 0)
            return null;
        return new ExecTarget(pid, ExecStage.Loaded, canonical, signature, exe, Procfs.ProcComm.Read(pid) ?? ExecTarget.LastComponent(canonical));
    }
}
