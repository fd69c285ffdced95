using System.Buffers.Binary;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Controls;

/// <summary>
/// Learns when a reported change has happened, so that its "after" can be hashed, on a thread of
/// its own ("fim-watcher"): the notify loop registers the change before it answers CONTINUE, and
/// never waits for it.
///
/// The kernel runs the call only after PID 1 answers, and PID 1 is not told its result. inotify
/// (no privilege needed) tells it: the notify loop adds a watch on the changed file's directory
/// before it answers, so the change's event cannot come before the watch; the watcher matches
/// each event to the oldest pending change of that name and kind (IN_CLOSE_WRITE: a writer closed
/// the file; IN_CREATE, IN_DELETE, IN_MOVED_TO, IN_ATTRIB), then hashes and reports. A truncate
/// is seen by a one-shot IN_MODIFY watch on the file itself: directory watches never ask for
/// IN_MODIFY, so a log written line by line in a watched directory wakes nobody.
///
/// A change not seen within its wait (<see cref="CallWait"/>; <see cref="OpenWait"/> for a file
/// opened for writing, which changes until it is closed) is reported anyway, hashed as it is
/// then, and says so: the call failed, or the writer still holds the file open. Nothing is lost:
/// past <see cref="MaxPending"/> changes, or when the queue overflows, or at exit, the pending
/// changes are reported at once in the same way.
/// </summary>
internal sealed class FileChangeWatcher : IDisposable
{
    public static readonly TimeSpan CallWait = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan OpenWait = TimeSpan.FromSeconds(5);
    public const int MaxPending = 4096;

    /// <summary>Why a change is reported unseen when its wait is over (the other reasons say what stopped the watch).</summary>
    public const string NotSeenInTime = "not seen within the wait";

    private const uint DirectoryMask = Libc.IN_CLOSE_WRITE | Libc.IN_CREATE | Libc.IN_DELETE | Libc.IN_MOVED_TO | Libc.IN_ATTRIB;

    /// <summary>One change waiting to be seen.</summary>
    /// <param name="Directory">The changed entry's directory (watched); null: nothing to watch (the root itself).</param>
    /// <param name="Name">The entry's name in it, as bytes (inotify's names are).</param>
    /// <param name="Event">The inotify event that says it happened.</param>
    /// <param name="OnFile">Watched on the file itself (IN_MODIFY, one-shot), not its directory.</param>
    public sealed record Pending(string? Directory, byte[] Name, uint Event, bool OnFile, TimeSpan Wait, Action<bool, string?> Report)
    {
        internal int Wd { get; set; } = -1;

        internal long Deadline { get; set; }
    }

    private readonly int _inotify;
    private readonly int _wake;
    private readonly Lock _lock = new();
    private readonly List<Pending> _pending = [];
    private volatile bool _stopping;
    private long _sleepUntil = long.MaxValue;   // when the watcher's poll ends by itself (under _lock)
    private readonly ManualResetEventSlim _stopped = new();

    public FileChangeWatcher()
    {
        _inotify = Libc.InotifyInit1(Libc.IN_NONBLOCK | Libc.IN_CLOEXEC);
        _wake = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.O_NONBLOCK);
        NamedThread.Start("fim-watcher", Run);
    }

    /// <summary>
    /// Registers a change before the call it belongs to goes on (on the notify loop: one
    /// inotify_add_watch). Its report runs on the watcher's thread, with whether the change was
    /// seen and why not.
    /// </summary>
    public void Add(Pending change)
    {
        if (_inotify >= 0 && change.Directory is not null)
        {
            string target = change.OnFile ? JoinPath(change.Directory, change.Name) : change.Directory;
            change.Wd = AddWatch(target, change.OnFile ? Libc.IN_MODIFY | Libc.IN_ONESHOT : DirectoryMask);
        }
        change.Deadline = Environment.TickCount64 + (long)change.Wait.TotalMilliseconds;
        bool full, wake;
        lock (_lock)
        {
            full = _pending.Count >= MaxPending || _stopping;
            wake = change.Deadline < _sleepUntil;
            if (!full)
                _pending.Add(change);
        }
        if (full)
        {
            change.Report(false, "not followed: too many changes pending");
            return;
        }
        // The watcher is woken only when it would sleep past this change's deadline: a busy
        // directory's changes cost no wake-up each (their inotify events wake it).
        if (wake)
            Wake();
    }

    // Adding a watch the inode has already returns its descriptor again, with the mask replaced:
    // every directory watch has the same mask, so it never loses an event another change waits for.
    private unsafe int AddWatch(string path, uint mask)
    {
        byte[] bytes = PathText.Encode(path);
        Array.Resize(ref bytes, bytes.Length + 1);
        fixed (byte* p = bytes)
            return Libc.InotifyAddWatch(_inotify, p, mask);
    }

    private static string JoinPath(string directory, byte[] name) => directory == "/" ? "/" + PathText.Decode(name) : directory + "/" + PathText.Decode(name);

    private unsafe void Wake()
    {
        ulong one = 1;
        Libc.Write(_wake, (byte*)&one, sizeof(ulong));
    }

    private unsafe void Run()
    {
        byte[] buffer = new byte[64 * 1024];
        Span<Libc.pollfd> fds = stackalloc Libc.pollfd[2];
        while (!_stopping)
        {
            int timeout;
            lock (_lock)
            {
                _sleepUntil = _pending.Count == 0 ? long.MaxValue : _pending.Min(p => p.Deadline);
                timeout = _sleepUntil == long.MaxValue ? -1 : (int)Math.Max(0, _sleepUntil - Environment.TickCount64);
            }
            fds[0] = new Libc.pollfd { fd = _inotify, events = Libc.POLLIN };
            fds[1] = new Libc.pollfd { fd = _wake, events = Libc.POLLIN };
            fixed (Libc.pollfd* p = fds)
                Libc.Poll(p, 2, timeout);
            if ((fds[1].revents & Libc.POLLIN) != 0)
            {
                ulong count;
                Libc.Read(_wake, (byte*)&count, sizeof(ulong));
            }
            if ((fds[0].revents & Libc.POLLIN) != 0)
                ReadEvents(buffer);
            ReportExpired(all: false, NotSeenInTime);
        }
        _stopped.Set();
    }

    private unsafe void ReadEvents(byte[] buffer)
    {
        while (true)
        {
            nint n;
            fixed (byte* p = buffer)
                n = Libc.Read(_inotify, p, (nuint)buffer.Length);
            if (n <= 0)
                return;
            for (int offset = 0; offset + Libc.InotifyEventHeaderSize <= n;)
            {
                ReadOnlySpan<byte> header = buffer.AsSpan(offset, Libc.InotifyEventHeaderSize);
                int wd = BinaryPrimitives.ReadInt32LittleEndian(header);
                uint mask = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
                int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
                ReadOnlySpan<byte> name = buffer.AsSpan(offset + Libc.InotifyEventHeaderSize, length);
                int nul = name.IndexOf((byte)0);
                if (nul >= 0)
                    name = name[..nul];
                offset += Libc.InotifyEventHeaderSize + length;
                if ((mask & Libc.IN_Q_OVERFLOW) != 0)
                {
                    ReportExpired(all: true, "not followed: the kernel's event queue overflowed");
                    continue;
                }
                Match(wd, mask, name);
            }
        }
    }

    // Every change waiting for this event is seen, not only the first: inotify merges an event
    // identical to the last one still unread (two xattr changes of one file in a row are one
    // IN_ATTRIB), so one event can stand for several changes. A change made after the event was
    // queued is then hashed a little early; its own event, if it comes, finds nothing waiting.
    private void Match(int wd, uint mask, ReadOnlySpan<byte> name)
    {
        var seen = new List<Pending>(1);
        lock (_lock)
        {
            for (int i = _pending.Count - 1; i >= 0; i--)
            {
                Pending p = _pending[i];
                if (p.Wd == wd && (p.Event & mask) != 0 && (p.OnFile || name.SequenceEqual(p.Name)))
                {
                    seen.Add(p);
                    _pending.RemoveAt(i);
                }
            }
        }
        for (int i = seen.Count - 1; i >= 0; i--)
            seen[i].Report(true, null);   // in the order the changes were registered
    }

    private void ReportExpired(bool all, string why)
    {
        List<Pending> expired;
        long now = Environment.TickCount64;
        lock (_lock)
        {
            expired = [.. _pending.Where(p => all || p.Deadline <= now)];
            if (expired.Count > 0)
                _pending.RemoveAll(p => all || p.Deadline <= now);
        }
        foreach (Pending p in expired)
        {
            if (p.OnFile && p.Wd >= 0)
                Libc.InotifyRmWatch(_inotify, p.Wd);   // a one-shot watch that never fired
            p.Report(false, why);
        }
    }

    /// <summary>Reports every change still pending (hashed as the files are now), then stops.</summary>
    public void Dispose()
    {
        lock (_lock)
            _stopping = true;
        Wake();
        _stopped.Wait(TimeSpan.FromSeconds(2));
        ReportExpired(all: true, "not seen before the enforcer stopped");
        Libc.Close(_inotify);
        Libc.Close(_wake);
    }
}
