using System.Globalization;
using System.Text.RegularExpressions;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Controls;

/// <summary>
/// Whether an open names a process's memory file, <c>/proc/PID/mem</c> (or
/// <c>/proc/PID/task/TID/mem</c>), and whose. The path is resolved as the caller would (its root,
/// cwd or dirfd, its own /proc links: see <see cref="ExecPathResolver"/>) into an O_PATH
/// descriptor, which opens no mem file (O_PATH never calls the file's open), and the descriptor
/// is judged: a file of a procfs whose path ends in PID/mem.
///
/// Not race-free, and said so in docs/limits.md: the path is read from the caller's memory,
/// which another thread can rewrite before the kernel reads it again; and a magic link left after
/// the caller-link mapping (a symlink in the image to /proc/self/fd/N followed by more path) is
/// followed in PID 1's context, where "self" is PID 1.
/// </summary>
internal static partial class ProcMemoryFile
{
    /// <summary>The process whose memory file the path names (the thread group's pid, as /proc shows it), or null.</summary>
    public static int? Owner(int tid, int dirFd, byte[] path, bool noFollow)
    {
        if (path.Length == 0)
            return null;   // opens take no empty path (ENOENT)
        int fd = ExecPathResolver.Open(tid, dirFd, path, noFollow ? Libc.AT_SYMLINK_NOFOLLOW : 0, followMagicLinks: true);
        if (fd < 0)
            return null;   // the kernel's own open fails the same way (unless the path changes meanwhile: see above)
        try
        {
            return OwnerOf(fd);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private static unsafe int? OwnerOf(int fd)
    {
        Libc.statfs fs;
        if (Libc.FStatFs(fd, &fs) != 0 || fs.f_type != Libc.PROC_SUPER_MAGIC)
            return null;
        return NativePath.ReadLink($"/proc/self/fd/{fd}") is { } canonical ? OwnerOf(canonical) : null;
    }

    /// <summary>The pid of a procfs path that ends in PID/mem or PID/task/TID/mem, or null.</summary>
    internal static int? OwnerOf(string procPath)
    {
        Match m = MemPath().Match(procPath);
        return m.Success ? int.Parse(m.Groups["pid"].Value, CultureInfo.InvariantCulture) : null;
    }

    [GeneratedRegex(@"/(?<pid>[1-9][0-9]*)(/task/[1-9][0-9]*)?/mem$", RegexOptions.CultureInvariant)]
    private static partial Regex MemPath();
}
