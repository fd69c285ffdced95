using System.Globalization;
using System.Text;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Controls;

/// <summary>
/// Resolves a path as the caller's own call would, once, to an O_PATH descriptor: run on the
/// <see cref="StandInThread"/> while it has the caller's root, cwd and credentials, so that
/// <c>..</c> stops at the caller's root, absolute symlinks start there, and every directory is
/// searched with the caller's rights. The walk is one component at a time, because one thing
/// differs between the caller and PID 1: <c>/proc/self</c> and <c>/proc/thread-self</c> name
/// whoever reads them, so they are replaced by the caller's ids; the other /proc links (fd/N,
/// cwd, root, exe) are the kernel's magic links, followed by the kernel itself.
/// Whatever the path named when it was read, the descriptor is the file it named then: the
/// decision and the operation both act on it, and a later symlink flip or rename changes neither.
/// </summary>
internal static unsafe class CallerPathResolver
{
    /// <summary>The walk met a /proc symlink with PID 1's own credentials: do it again on the stand-in thread, as the caller.</summary>
    public const int NeedsCallerThread = int.MinValue;

    private const int MaxSymlinks = 40;   // the kernel's MAXSYMLINKS
    private const long ProcRootInode = 1;

    /// <summary>
    /// The descriptor (O_PATH, close-on-exec) or a negative errno, as the kernel would answer.
    /// <paramref name="dirFd"/>: AT_FDCWD or PID 1's copy of the caller's dirfd;
    /// <paramref name="cwdFd"/>: the caller's cwd. An absolute path starts at this thread's root,
    /// which must be the caller's.
    /// </summary>
    /// <param name="inline">On the notify loop's thread, with PID 1's own credentials: a /proc
    /// symlink (whose following may depend on CAP_SYS_PTRACE) gives up with <see cref="NeedsCallerThread"/>.</param>
    public static int Resolve(int dirFd, int cwdFd, byte[] path, bool followFinal, bool emptyPathAllowed, int tgid, int tid, bool inline)
    {
        int start = dirFd == Libc.AT_FDCWD ? cwdFd : dirFd;
        if (path.Length == 0)
            return emptyPathAllowed ? Duplicate(start) : -Libc.ENOENT;
        var pending = new Stack<byte[]>();
        Push(pending, path);
        int current = path[0] == '/' ? Open(Libc.AT_FDCWD, "/"u8, follow: true) : Open(start, "."u8, follow: true);
        int links = 0;
        try
        {
            while (current >= 0 && pending.Count > 0)
            {
                byte[] name = pending.Pop();
                bool last = pending.Count == 0;
                if (name is [(byte)'.'] or [(byte)'.', (byte)'.'])
                {
                    // The kernel's own: ".." stops at this thread's root, which is the caller's.
                    Replace(ref current, Open(current, name, follow: true));
                    continue;
                }
                int next = Open(current, name, follow: false);
                if (next < 0)
                {
                    Replace(ref current, next);
                    break;
                }
                if (!IsSymlink(next) || (last && !followFinal))
                {
                    Replace(ref current, next);
                    continue;
                }
                if (++links > MaxSymlinks)
                {
                    Libc.Close(next);
                    Replace(ref current, -Libc.ELOOP);
                    break;
                }
                bool inProc = IsProc(next);
                if (inProc && inline)
                {
                    Libc.Close(next);
                    Replace(ref current, NeedsCallerThread);
                    break;
                }
                if (inProc && IsProcRoot(current) && (name.AsSpan().SequenceEqual("self"u8) || name.AsSpan().SequenceEqual("thread-self"u8)))
                {
                    // What the caller reads there is its own pid (and tid), not PID 1's.
                    Libc.Close(next);
                    string own = name.Length == 4 ? Ids(tgid) : $"{Ids(tgid)}/task/{Ids(tid)}";
                    Push(pending, Encoding.ASCII.GetBytes(own));
                    continue;
                }
                if (inProc && !IsProcRoot(current))
                {
                    // A magic link (/proc/PID/fd/N, cwd, root, exe): the kernel jumps to the very object.
                    Libc.Close(next);
                    Replace(ref current, Open(current, name, follow: true));
                    continue;
                }
                byte[]? target = ReadLink(next);
                Libc.Close(next);
                if (target is null or { Length: 0 })
                {
                    Replace(ref current, -Libc.ENOENT);
                    break;
                }
                Push(pending, target);
                if (target[0] == '/')
                    Replace(ref current, Open(Libc.AT_FDCWD, "/"u8, follow: true));
            }
            int result = current;
            current = -1;
            return result;
        }
        finally
        {
            if (current >= 0)
                Libc.Close(current);
        }
    }

    private static string Ids(int id) => id.ToString(CultureInfo.InvariantCulture);

    // The components of a path onto the stack, the first on top, above what is left to walk (a
    // symlink's target takes its name's place). A trailing slash is a final
    // ".": the last name must then be a directory (ENOTDIR otherwise) and a symlink there is
    // followed, as the kernel does.
    private static void Push(Stack<byte[]> pending, byte[] path)
    {
        var names = new List<byte[]>();
        foreach (Range part in path.AsSpan().Split((byte)'/'))
        {
            if (part.End.GetOffset(path.Length) > part.Start.GetOffset(path.Length))
                names.Add(path[part]);
        }
        if (names.Count > 0 && path[^1] == '/')
            names.Add("."u8.ToArray());
        for (int i = names.Count - 1; i >= 0; i--)
            pending.Push(names[i]);
    }

    private static void Replace(ref int current, int next)
    {
        if (current >= 0)
            Libc.Close(current);
        current = next;
    }

    private static int Open(int dirFd, ReadOnlySpan<byte> name, bool follow)
    {
        Span<byte> terminated = stackalloc byte[name.Length + 1];
        name.CopyTo(terminated);
        terminated[name.Length] = 0;
        fixed (byte* p = terminated)
        {
            int fd = Libc.OpenAt(dirFd, p, Libc.O_PATH | Libc.O_CLOEXEC | (follow ? 0 : Libc.O_NOFOLLOW), 0);
            return fd >= 0 ? fd : -Libc.LastErrno;
        }
    }

    // AT_EMPTY_PATH: the dirfd's own file, whatever it is (not only a directory).
    private static int Duplicate(int fd)
    {
        long copy = Libc.Syscall6(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0, 0, 0, 0);
        return copy >= 0 ? (int)copy : -Libc.LastErrno;
    }

    private const long SYS_fcntl = 72;
    private const long F_DUPFD_CLOEXEC = 1030;

    private static bool IsSymlink(int fd)
    {
        Libc.statx st;
        fixed (byte* empty = "\0"u8)
            return Libc.Statx(fd, empty, Libc.AT_EMPTY_PATH | Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, &st) == 0 &&
                (st.stx_mode & Libc.S_IFMT) == S_IFLNK;
    }

    private const ushort S_IFLNK = 0xA000;

    private static bool IsProc(int fd)
    {
        Libc.statfs fs;
        return Libc.FStatFs(fd, &fs) == 0 && fs.f_type == Libc.PROC_SUPER_MAGIC;
    }

    private static bool IsProcRoot(int fd)
    {
        Libc.statx st;
        fixed (byte* empty = "\0"u8)
            return IsProc(fd) && Libc.Statx(fd, empty, Libc.AT_EMPTY_PATH, Libc.STATX_BASIC_STATS, &st) == 0 && (long)st.stx_ino == ProcRootInode;
    }

    private static byte[]? ReadLink(int fd)
    {
        byte* buffer = stackalloc byte[4096];
        fixed (byte* empty = "\0"u8)
        {
            long n = Libc.Syscall6(Libc.SYS_readlinkat, fd, (long)empty, (long)buffer, 4096, 0, 0);
            return n < 0 ? null : new ReadOnlySpan<byte>(buffer, (int)n).ToArray();
        }
    }
}
