using MicroEnforcer.Interop;

namespace MicroEnforcer.Controls;

/// <summary>
/// The absolute path a file syscall's path argument names, resolved as the kernel would as far as
/// PID 1 can see: from the caller's root (absolute paths), its cwd or the call's dirfd (relative
/// ones), through its own /proc links (/proc/self/fd/N, /dev/fd/N: see
/// <see cref="ExecPathResolver.CallerLink"/>); the directory part with <c>..</c> and every
/// symlink resolved (the kernel always follows them); the final component followed or not, as
/// the call does. A final symlink that is followed but dangles is followed anyway, to the name it
/// would create (open(O_CREAT) through a dangling link creates its target).
///
/// The result is a report, not a decision: the path was read from the caller's memory, and the
/// directories it passes through can be renamed or swapped for symlinks between this resolution
/// and the kernel's own (see docs/limits.md). Paths are PID 1's view (the caller's chroot, if it
/// made one, is not taken off).
/// </summary>
internal static class FilePathResolver
{
    // The kernel's limit on symlinks followed in one resolution (MAXSYMLINKS).
    private const int MaxLinks = 40;

    /// <summary>The absolute path, or null when the path cannot name a file now (the call fails the same way, but for a race).</summary>
    public static string? Resolve(int tid, int dirFd, byte[] path, bool followFinal, bool emptyPathIsDirFd = false)
    {
        if (path.Length == 0)
            return emptyPathIsDirFd ? OfDescriptor(tid, dirFd) : null;
        if (path[0] == (byte)'/')
        {
            string text = PathText.Decode(path);
            if (ExecPathResolver.CallerLink(tid, text) is { } link)
            {
                if (link.Rest.Length == 0)
                    return NativePath.ReadLink(link.Base);   // the caller's fd, cwd, root or exe itself
                return From(link.Base, PathText.Encode(link.Rest), inRoot: link.Base.EndsWith("/root", StringComparison.Ordinal), followFinal, tid, 0);
            }
            return From($"/proc/{tid}/root", path, inRoot: true, followFinal, tid, 0);
        }
        return From(dirFd == Libc.AT_FDCWD ? $"/proc/{tid}/cwd" : $"/proc/{tid}/fd/{dirFd}", path, inRoot: false, followFinal, tid, 0);
    }

    /// <summary>The path of the caller's descriptor (its cwd for AT_FDCWD): what an f* call or AT_EMPTY_PATH names.</summary>
    public static string? OfDescriptor(int tid, int fd) =>
        NativePath.ReadLink(fd == Libc.AT_FDCWD ? $"/proc/{tid}/cwd" : $"/proc/{tid}/fd/{fd}");

    private static string? From(string baseLink, ReadOnlySpan<byte> path, bool inRoot, bool followFinal, int tid, int links)
    {
        int baseFd = NativePath.Open(baseLink, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (baseFd < 0)
            return null;
        try
        {
            return Beneath(baseFd, path, inRoot, followFinal, tid, links);
        }
        finally
        {
            Libc.Close(baseFd);
        }
    }

    private static string? Beneath(int baseFd, ReadOnlySpan<byte> path, bool inRoot, bool followFinal, int tid, int links)
    {
        // "dir/" names dir, and must be one: the kernel follows a final symlink before a slash.
        int end = path.Length;
        while (end > 1 && path[end - 1] == (byte)'/')
            end--;
        if (end < path.Length)
            followFinal = true;
        path = path[..end];

        int slash = path.LastIndexOf((byte)'/');
        ReadOnlySpan<byte> directory = slash < 0 ? "."u8 : slash == 0 ? "/"u8 : path[..slash];
        ReadOnlySpan<byte> name = path[(slash + 1)..];
        if (name.Length == 0 || name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
        {
            // "/", ".", "..": the directory itself, which has no final name of its own to keep.
            directory = path;
            name = [];
        }

        int dirFd = OpenDirectory(baseFd, directory, inRoot);
        if (dirFd < 0)
            return null;
        try
        {
            string? dirPath = NativePath.ReadLink($"/proc/self/fd/{dirFd}");
            if (dirPath is null || name.Length == 0)
                return dirPath;
            string nameText = PathText.Decode(name);
            string full = dirPath == "/" ? "/" + nameText : dirPath + "/" + nameText;
            if (!followFinal)
                return full;
            string entry = $"/proc/self/fd/{dirFd}/{nameText}";
            if (NativePath.Statx(entry, Libc.AT_SYMLINK_NOFOLLOW, out Libc.statx st) != 0 || (st.stx_mode & Libc.S_IFMT) != Libc.S_IFLNK)
                return full;   // not a symlink, or not there (to be created under this name)
            if (links >= MaxLinks || NativePath.ReadLink(entry) is not { Length: > 0 } target)
                return full;   // ELOOP: the kernel's call fails
            byte[] targetBytes = PathText.Encode(target);
            return targetBytes[0] == (byte)'/'
                ? From($"/proc/{tid}/root", targetBytes, inRoot: true, followFinal: true, tid, links + 1)
                : Beneath(dirFd, targetBytes, inRoot: false, followFinal: true, tid, links + 1);
        }
        finally
        {
            Libc.Close(dirFd);
        }
    }

    // The directory part, every symlink and ".." resolved by the kernel itself (openat2 beneath
    // the caller's root for absolute paths). A /proc magic link on the way is followed in PID 1's
    // context: as ProcMemoryFile does, a report accepts that "self" there is PID 1.
    private static unsafe int OpenDirectory(int baseFd, ReadOnlySpan<byte> directory, bool inRoot)
    {
        int fd = NativePath.OpenBeneath(baseFd, directory, inRoot, noFollow: false);
        if (fd != -Libc.ELOOP)
            return fd;
        byte[] terminated = new byte[directory.Length + 1];
        directory.CopyTo(terminated);
        fixed (byte* p = terminated)
            return Libc.OpenAt(baseFd, p, Libc.O_PATH | Libc.O_CLOEXEC, 0);
    }
}
