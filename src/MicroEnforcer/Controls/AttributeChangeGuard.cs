using System.Globalization;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>
/// Read-only paths, for what Landlock does not guard: chmod, chown, setxattr and removexattr
/// (every entry point). A path checked in the notification and then let through (CONTINUE) would
/// be looked up again by the kernel, after a symlink flip, a rename or another thread's rewrite
/// of the path had made it another file; so PID 1 performs the call itself. On its
/// <see cref="StandInThread"/>, with the caller's root, cwd and credentials, it resolves the
/// target once to a descriptor (<see cref="CallerPathResolver"/>; a descriptor call takes the
/// caller's own file with pidfd_getfd, which a dup2 over the number cannot change), reads that
/// descriptor's real path, and either refuses (EROFS, as a read-only mount answers) or performs
/// the change on that very descriptor, as the caller, and answers with its result.
/// In audit mode a read-only target is reported and the call goes on in the kernel (CONTINUE):
/// nothing is refused, so nothing needs closing.
/// </summary>
internal sealed class AttributeChangeGuard : ISyscallControl
{
    private readonly Func<string, bool> _isReadOnly;
    private readonly Outcome _outcome;
    private readonly StandInThread _standIn;

    /// <param name="isReadOnly">Whether a file, by its real absolute path (as PID 1 sees it), is read-only.</param>
    public AttributeChangeGuard(string name, Func<string, bool> isReadOnly, EnforcementMode mode, Outcome outcome)
    {
        Name = name;
        Mode = mode;
        _isReadOnly = isReadOnly;
        _outcome = outcome;
        _standIn = new StandInThread("attr-stand-in");
    }

    /// <summary>The kinds the guard decides; <see cref="Rules"/> notifies exactly these.</summary>
    public static IReadOnlyList<SyscallKind> GuardedKinds => FileCallRules.AttributeChangeKinds;

    /// <summary>Every entry point of every guarded call (i386's 16-bit chown family and the *32 twins are in the table's rows).</summary>
    public static IReadOnlyList<FilterRule> Rules => FileCallRules.AttributeChanges;

    public string Name { get; }

    public EnforcementMode Mode { get; }

    public IReadOnlyList<SyscallKind> Kinds => GuardedKinds;

    public SyscallVerdict Decide(in SyscallCall call)
    {
        AttributeChange change = AttributeChange.Decode(call);
        if (change.Errno != 0)
            return call.IsStillValid() ? SyscallVerdict.Answered(-change.Errno) : SyscallVerdict.Answered(-Libc.ESRCH);
        CallerCredentials? credentials = CallerCredentials.Read(call.Tid);
        if (credentials is null || !call.IsStillValid())
            return SyscallVerdict.Answered(-Libc.ESRCH);   // gone: nobody reads the answer
        bool enforce = Mode == EnforcementMode.Enforce;
        StandIn.Result result = StandIn.Act(_standIn, call, change, credentials, _isReadOnly, perform: enforce);
        if (result.ReadOnlyPath is not { } path)
            return result.Answer is long answer ? SyscallVerdict.Answered(answer) : SyscallVerdict.Continue;
        if (!call.IsStillValid())
            return SyscallVerdict.Answered(-Libc.ESRCH);
        string syscall = call.Entry?.Name ?? call.Name;
        string exe = NativePath.ReadLink($"/proc/{call.Tid}/exe") ?? "?";
        string requested = change.Fd is int fd ? $"fd {fd.ToString(CultureInfo.InvariantCulture)}" : $"\"{PathText.Display(PathText.Decode(change.Path))}\"";
        var finding = new ControlFinding(Name, $"{syscall} of {PathText.Display(path)} ({requested}): the path is read-only");
        int errno = _outcome.AtCall(call.Tid, finding, Mode, Libc.EROFS, syscall, exe, path);
        return errno != 0 ? SyscallVerdict.Answered(errno) : SyscallVerdict.Continue;
    }

    /// <summary>
    /// Everything between reading the call and answering it, on the notify loop's thread; only
    /// what must run with another root or other credentials than PID 1's is handed to the
    /// stand-in thread (a root caller with PID 1's capabilities in PID 1's root never wakes it).
    /// </summary>
    private static class StandIn
    {
        /// <summary><see cref="ReadOnlyPath"/> when the target is read-only (nothing was done); else the call's answer, or null: let it go on (audit mode).</summary>
        public readonly record struct Result(string? ReadOnlyPath, long? Answer);

        public static Result Act(StandInThread self, in SyscallCall call, AttributeChange change, CallerCredentials credentials, Func<string, bool> isReadOnly, bool perform)
        {
            var fds = new List<int>();
            try
            {
                int target = change.Fd is int callerFd ? Take(call.Tid, callerFd) : Resolve(self, call, change, credentials, fds);
                if (target < 0)
                    return perform ? new Result(null, target) : new Result(null, null);
                fds.Add(target);
                // The caller's cwd, root and fds were taken after its credentials were checked
                // as its own: they are its own only if it still waits (its tid is not recycled).
                if (!call.IsStillValid())
                    return new Result(null, -Libc.ESRCH);
                // The f* calls refuse an O_PATH descriptor (EBADF) before anything, a read-only mount's EROFS included.
                if (change.Fd is not null && IsPathOnly(target))
                    return perform ? new Result(null, -Libc.EBADF) : new Result(null, null);
                // The real path of the very file, from PID 1's root: what the policy names.
                string? path = NativePath.ReadLink($"/proc/thread-self/fd/{target}");
                if (path is not null && isReadOnly(path))
                    return new Result(path, null);
                if (!perform)
                    return new Result(null, null);
                return new Result(null, Perform(self, change, target, credentials));
            }
            finally
            {
                foreach (int fd in fds)
                    Libc.Close(fd);
            }
        }

        // Resolution as the caller: its root, its cwd (or its dirfd), its credentials.
        private static int Resolve(StandInThread self, SyscallCall call, AttributeChange change, CallerCredentials credentials, List<int> fds)
        {
            int root = NativePath.Open($"/proc/{call.Tid}/root", Libc.O_PATH | Libc.O_CLOEXEC);
            int cwd = NativePath.Open($"/proc/{call.Tid}/cwd", Libc.O_PATH | Libc.O_CLOEXEC);
            if (root >= 0)
                fds.Add(root);
            if (cwd >= 0)
                fds.Add(cwd);
            if (root < 0 || cwd < 0)
                return -Libc.ESRCH;
            int dirFd = Libc.AT_FDCWD;
            if (change.DirFd != Libc.AT_FDCWD && (change.Path.Length == 0 || change.Path[0] != '/'))
            {
                dirFd = Take(call.Tid, change.DirFd);
                if (dirFd < 0)
                    return dirFd;
                fds.Add(dirFd);
            }
            int tgid = Tgid(call.Tid);
            if (tgid < 0)
                return -Libc.ESRCH;
            if (self.ActsAsItself(credentials, root))
            {
                int fd = CallerPathResolver.Resolve(dirFd, cwd, change.Path, change.FollowFinalSymlink, change.EmptyPathAllowed, tgid, call.Tid, inline: true);
                if (fd != CallerPathResolver.NeedsCallerThread)
                    return fd;
            }
            return self.Do(() =>
            {
                int errno = self.EnterRootOf(root);
                try
                {
                    if (errno != 0)
                        throw new SystemCallException("entering the caller's root", errno);
                    self.Assume(credentials);
                    try
                    {
                        return CallerPathResolver.Resolve(dirFd, cwd, change.Path, change.FollowFinalSymlink, change.EmptyPathAllowed, tgid, call.Tid, inline: false);
                    }
                    finally
                    {
                        self.Restore();
                    }
                }
                finally
                {
                    self.LeaveRoot();
                }
            });
        }

        private static long Perform(StandInThread self, AttributeChange change, int fd, CallerCredentials credentials)
        {
            if (self.OperatesAsItself(credentials))
                return Operate(change, fd);
            return self.Do(() =>
            {
                self.Assume(credentials);
                try
                {
                    return Operate(change, fd);
                }
                finally
                {
                    self.Restore();
                }
            });
        }

        // The change itself, on the resolved descriptor: its result, or a negative errno.
        private static long Operate(AttributeChange change, int fd)
        {
            long result = OperateRaw(change, fd);
            return result < 0 ? -Libc.LastErrno : result;
        }

        private static unsafe long OperateRaw(AttributeChange change, int fd)
        {
            bool own = change.Fd is not null;   // the caller's own file object: the f* call itself
            fixed (byte* empty = "\0"u8)
            fixed (byte* name = Terminated(change.XattrName))
            fixed (byte* value = change.XattrValue)
            fixed (byte* proc = Terminated(System.Text.Encoding.ASCII.GetBytes($"/proc/thread-self/fd/{fd.ToString(CultureInfo.InvariantCulture)}")))
            {
                switch (change.Operation)
                {
                    case AttributeChangeOperation.Mode:
                        if (own)
                            return Libc.Syscall6(Libc.SYS_fchmod, fd, change.Mode, 0, 0, 0, 0);
                        return Libc.Syscall6(Libc.SYS_fchmodat2, fd, (long)empty, change.Mode, Libc.AT_EMPTY_PATH, 0, 0);
                    case AttributeChangeOperation.Owner:
                        if (own)
                            return Libc.Syscall6(Libc.SYS_fchown, fd, change.Uid, change.Gid, 0, 0, 0);
                        return Libc.Syscall6(Libc.SYS_fchownat, fd, (long)empty, change.Uid, change.Gid, Libc.AT_EMPTY_PATH, 0);
                    case AttributeChangeOperation.SetXattr:
                        int size = change.XattrValue?.Length ?? 0;
                        if (own)
                            return Libc.Syscall6(Libc.SYS_fsetxattr, fd, (long)name, (long)value, size, change.XattrFlags, 0);
                        // An O_PATH descriptor takes no f*xattr: its /proc link is the very file (a symlink too).
                        return Libc.Syscall6(Libc.SYS_setxattr, (long)proc, (long)name, (long)value, size, change.XattrFlags, 0);
                    case AttributeChangeOperation.RemoveXattr:
                        if (own)
                            return Libc.Syscall6(Libc.SYS_fremovexattr, fd, (long)name, 0, 0, 0, 0);
                        return Libc.Syscall6(Libc.SYS_removexattr, (long)proc, (long)name, 0, 0, 0, 0);
                    default:
                        throw new InvalidOperationException($"unknown operation {change.Operation}");
                }
            }
        }

        private static byte[] Terminated(byte[] bytes)
        {
            byte[] terminated = new byte[bytes.Length + 1];
            bytes.CopyTo(terminated, 0);
            return terminated;
        }

        // pidfd_getfd: PID 1's copy of the caller's open file (the same file object, not its path).
        // A thread pidfd (Linux 6.9) reaches a thread's own descriptor table; before, the process's.
        private static int Take(int tid, int callerFd)
        {
            if (callerFd < 0)
                return -Libc.EBADF;
            long pidfd = Libc.Syscall3(Libc.SYS_pidfd_open, tid, PIDFD_THREAD, 0);
            if (pidfd < 0 && Libc.LastErrno == Libc.EINVAL)
                pidfd = Libc.Syscall3(Libc.SYS_pidfd_open, Tgid(tid), 0, 0);
            if (pidfd < 0)
                return -Libc.ESRCH;
            long fd = Libc.Syscall3(Libc.SYS_pidfd_getfd, pidfd, callerFd, 0);
            int errno = Libc.LastErrno;
            Libc.Close((int)pidfd);
            return fd >= 0 ? (int)fd : -errno;
        }

        private const long PIDFD_THREAD = 0x80;   // O_EXCL

        private static bool IsPathOnly(int fd)
        {
            long flags = Libc.Syscall6(SYS_fcntl, fd, F_GETFL, 0, 0, 0, 0);
            return flags >= 0 && (flags & Libc.O_PATH) != 0;
        }

        private const long SYS_fcntl = 72;
        private const long F_GETFL = 3;

        private static int Tgid(int tid) => Procfs.ProcStatus.Read(tid) is { } status ? status.Tgid : -1;
    }
}
