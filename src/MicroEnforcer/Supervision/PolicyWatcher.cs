using MicroEnforcer.Interop;
using MicroEnforcer.Logging;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Supervision;

/// <summary>
/// Tells when the policy file may have changed, on its own thread ("policy-watch"), which the
/// <see cref="PolicyReloader"/> then reads and compares by content.
///
/// It watches the file's directory, not the file: a Kubernetes ConfigMap volume updates by
/// symlink swap (the file is a link to ..data/FILE, and ..data, a link to a timestamped
/// directory, is replaced by a rename of ..data_tmp), and editors save by renaming a new file
/// over the old; a watch on the old inode would see neither. Any change in the directory wakes
/// it; events are let settle for <see cref="SettleMs"/> (a save is several writes), and the file
/// is read whole. It also reads the file every <see cref="RecheckMs"/> whatever inotify says:
/// inotify does not see changes made on another machine (NFS, some FUSE volumes), and a missed
/// event must not leave a policy unapplied forever.
/// </summary>
internal sealed class PolicyWatcher(string path, Action changed, ILogger log)
{
    public const int SettleMs = 150;
    public const int RecheckMs = 10_000;

    private const uint DirectoryEvents = Libc.IN_CLOSE_WRITE | Libc.IN_MOVED_TO | Libc.IN_MOVED_FROM | Libc.IN_CREATE | Libc.IN_DELETE
        | Libc.IN_MODIFY | Libc.IN_ATTRIB | Libc.IN_DELETE_SELF | Libc.IN_MOVE_SELF;

    /// <summary>Watches from now on (the watch is in place when it returns), on its own thread.</summary>
    public void Start()
    {
        int fd = Libc.InotifyInit1(Libc.IN_CLOEXEC | Libc.IN_NONBLOCK);
        if (fd < 0)
            Log.PolicyWatchDegraded(log, path, $"inotify_init1: {Libc.DescribeErrno(Libc.LastErrno)}", RecheckMs / 1000);
        else
            AddWatch(fd);
        NamedThread.Start("policy-watch", () => Run(fd));
    }

    private unsafe void Run(int fd)
    {
        byte* buffer = stackalloc byte[4096];
        var ready = new Libc.pollfd { fd = fd, events = Libc.POLLIN };
        while (true)
        {
            int polled = Libc.Poll(&ready, 1, RecheckMs);
            if (polled < 0 && Libc.LastErrno == Libc.EINTR)
                continue;
            if (polled > 0)
            {
                // Let the change settle, then take every event it made: one read of the file for all.
                Thread.Sleep(SettleMs);
                bool directoryGone = false;
                long n;
                while ((n = Libc.Read(fd, buffer, 4096)) > 0)
                    directoryGone |= SawDirectoryGo(buffer, n);
                if (directoryGone)
                    AddWatch(fd);   // the directory was replaced or moved: watch the one at the path now
            }
            try
            {
                changed();
            }
            catch (Exception e)
            {
                Log.PolicyReloadFailed(log, path, e.Message);
            }
        }
    }

    private unsafe void AddWatch(int fd)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
        byte[] name = System.Text.Encoding.UTF8.GetBytes(directory + "\0");
        fixed (byte* p = name)
        {
            if (Libc.InotifyAddWatch(fd, p, DirectoryEvents) < 0)
                Log.PolicyWatchDegraded(log, path, $"inotify_add_watch {directory}: {Libc.DescribeErrno(Libc.LastErrno)}", RecheckMs / 1000);
        }
    }

    private static unsafe bool SawDirectoryGo(byte* buffer, long length)
    {
        bool gone = false;
        for (long offset = 0; offset + Libc.InotifyEventHeaderSize <= length;)
        {
            uint mask = *(uint*)(buffer + offset + 4);
            uint nameLength = *(uint*)(buffer + offset + 12);
            gone |= (mask & (Libc.IN_DELETE_SELF | Libc.IN_MOVE_SELF | Libc.IN_IGNORED)) != 0;
            offset += Libc.InotifyEventHeaderSize + nameLength;
        }
        return gone;
    }
}
