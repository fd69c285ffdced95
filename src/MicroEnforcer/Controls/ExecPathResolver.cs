using System.Text.RegularExpressions;
using MicroEnforcer.Baseline;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Controls;

/// <summary>
/// Resolves the file an exec names, as the caller would, into an O_PATH descriptor of the very
/// file object, its statx, and its canonical path in PID 1's view.
///
/// Resolution starts at the caller's own /proc links (its root for absolute paths, its cwd or
/// execveat's dirfd for relative ones) and never follows a /proc magic link in PID 1's context:
/// /proc/self, /dev/fd/N and friends mean the caller's, not ours. openat2 with
/// RESOLVE_NO_MAGICLINKS enforces that; the forms a program legitimately execs through
/// (/dev/fd/N, /dev/std*, /proc/{self,thread-self,PID}/{fd/N,exe,root,cwd}) are mapped to the
/// caller's links explicitly, and any other path that needs a magic link is reported as such
/// (the entry check then refuses it in enforce mode). Paths are bytes throughout (PathText).
/// </summary>
internal static partial class ExecPathResolver
{
    /// <summary>Outcome: an O_PATH fd, or -errno, or MagicLink.</summary>
    public const int MagicLink = int.MinValue;

    /// <param name="followMagicLinks">
    /// Follow, in PID 1's context, the magic links the caller-link mapping leaves (instead of
    /// answering <see cref="MagicLink"/>): for a check that must name some file and accepts that
    /// such a link may not be the caller's (see <see cref="ProcMemoryFile"/>).
    /// </param>
    public static int Open(int tid, int dirFd, byte[] path, int execFlags, bool followMagicLinks = false)
    {
        bool noFollow = (execFlags & Libc.AT_SYMLINK_NOFOLLOW) != 0;
        if (path.Length == 0)
            return (execFlags & Libc.AT_EMPTY_PATH) != 0 && dirFd >= 0 ? OpenLink($"/proc/{tid}/fd/{dirFd}") : -Libc.ENOENT;
        if (path[0] != (byte)'/')
            return Beneath(dirFd == Libc.AT_FDCWD ? $"/proc/{tid}/cwd" : $"/proc/{tid}/fd/{dirFd}", path, inRoot: false, noFollow, followMagicLinks);

        string text = PathText.Decode(path);
        if (CallerLink(tid, text) is { } link)
        {
            return link.Rest.Length == 0
                ? OpenLink(link.Base)
                : Beneath(link.Base, PathText.Encode(link.Rest), inRoot: link.Base.EndsWith("/root", StringComparison.Ordinal), noFollow,
                    followMagicLinks);
        }
        return Beneath($"/proc/{tid}/root", path, inRoot: true, noFollow, followMagicLinks);
    }

    internal readonly record struct Link(string Base, string Rest);

    /// <summary>The caller-relative /proc link a path names textually, with what follows it.</summary>
    internal static Link? CallerLink(int tid, string path)
    {
        if (!path.StartsWith("/proc/", StringComparison.Ordinal) && !path.StartsWith("/dev/", StringComparison.Ordinal))
            return null;   // the common case costs no regex
        Match m = ProcLink().Match(path);
        if (m.Success)
        {
            string who = m.Groups["who"].Value;
            string owner = who is "self" or "thread-self" ? tid.ToString(System.Globalization.CultureInfo.InvariantCulture) : who;
            string task = m.Groups["task"].Success ? $"/task/{m.Groups["task"].Value}" : who == "thread-self" ? $"/task/{tid}" : "";
            string kind = m.Groups["kind"].Value;   // fd/N, exe, root, cwd
            return new Link($"/proc/{owner}{task}/{kind}", m.Groups["rest"].Value.TrimStart('/'));
        }
        m = DevFd().Match(path);
        // /dev/fd is the caller's fds only where it is the usual link to /proc/self/fd: /dev is
        // writable in most containers, and another link there leads elsewhere.
        if (m.Success && NativePath.ReadLink($"/proc/{tid}/root/dev/fd") == "/proc/self/fd")
        {
            string fd = m.Groups["fd"].Success ? m.Groups["fd"].Value : m.Groups["std"].Value switch { "stdin" => "0", "stdout" => "1", _ => "2" };
            return new Link($"/proc/{tid}/fd/{fd}", m.Groups["rest"].Value.TrimStart('/'));
        }
        return null;
    }

    [GeneratedRegex(@"^/proc/(?<who>self|thread-self|[1-9][0-9]*)(/task/(?<task>[1-9][0-9]*))?/(?<kind>fd/[0-9]+|exe|root|cwd)(?<rest>/.*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex ProcLink();

    [GeneratedRegex(@"^/dev/(fd/(?<fd>[0-9]+)|(?<std>stdin|stdout|stderr))(?<rest>/.*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex DevFd();

    // The caller's magic link itself: following it is the point, and it is the caller's.
    private static int OpenLink(string link)
    {
        int fd = NativePath.Open(link, Libc.O_PATH | Libc.O_CLOEXEC);
        return fd >= 0 ? fd : -Libc.LastErrno;
    }

    private static int Beneath(string baseLink, ReadOnlySpan<byte> path, bool inRoot, bool noFollow, bool followMagicLinks)
    {
        int dirFd = NativePath.Open(baseLink, Libc.O_PATH | Libc.O_CLOEXEC);
        if (dirFd < 0)
            return -Libc.LastErrno;
        try
        {
            int fd = NativePath.OpenBeneath(dirFd, path, inRoot, noFollow);
            if (fd != -Libc.ELOOP)
                return fd;
            // ELOOP: a symlink loop, or a magic link on the way. Only the second is ours to judge.
            byte[] terminated = new byte[path.Length + 1];
            path.CopyTo(terminated);
            int probe = ProbeFollowingMagicLinks(dirFd, terminated, noFollow);
            if (probe < 0 || followMagicLinks)
                return probe;
            Libc.Close(probe);
            return MagicLink;
        }
        finally
        {
            Libc.Close(dirFd);
        }
    }

    private static unsafe int ProbeFollowingMagicLinks(int dirFd, byte[] terminated, bool noFollow)
    {
        fixed (byte* p = terminated)
        {
            int fd = Libc.OpenAt(dirFd, p, Libc.O_PATH | Libc.O_CLOEXEC | (noFollow ? Libc.O_NOFOLLOW : 0), 0);
            return fd >= 0 ? fd : -Libc.LastErrno;
        }
    }

    /// <summary>The target of an open O_PATH fd, at syscall entry.</summary>
    public static ExecTarget? Describe(int tid, int fd, string requestedPath)
    {
        string self = $"/proc/self/fd/{fd}";
        string? canonical = NativePath.ReadLink(self);
        if (canonical is null || FileSignature.TryRead(fd, out FileSignature signature) != 0)
            return null;
        // execveat(fd, "", AT_EMPTY_PATH) runs under the fd's number as its name, as the kernel does.
        string invoked = requestedPath.Length == 0 ? "?" : ExecTarget.LastComponent(requestedPath);
        return new ExecTarget(tid, canonical, signature, self, invoked);
    }

    /// <summary>The image a process is running, once an exec has loaded it.</summary>
    public static ExecTarget? DescribeLoaded(int pid)
    {
        string exe = $"/proc/{pid}/exe";
        string? canonical = NativePath.ReadLink(exe);
        if (canonical is null || FileSignature.TryRead(exe, out FileSignature signature) != 0)
            return null;
        if (!ExecTarget.IsMultiCall(canonical))
            return new ExecTarget(pid, canonical, signature, exe, Procfs.ProcComm.Read(pid) ?? ExecTarget.LastComponent(canonical));

        // A multi-call binary runs as argv[0] says, not as comm: busybox runs its own applets
        // through execve("/proc/self/exe", ["sh"]), which leaves comm "exe" until the applet sets
        // it. Its argv is the new image's own now, and it has not run: the applet is settled.
        List<string>? argv = Procfs.ProcCmdline.ReadFirstArguments(pid);
        string invoked = argv is [{ Length: > 0 } argv0, ..] ? ExecTarget.LastComponent(argv0) : Procfs.ProcComm.Read(pid) ?? ExecTarget.LastComponent(canonical);
        return new ExecTarget(pid, canonical, signature, exe, invoked) { Applet = argv is null ? null : MultiCallApplet.Of(canonical, argv) };
    }
}
