using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

internal static partial class Libc
{
    internal const int IN_NONBLOCK = 0x800;
    internal const int IN_CLOEXEC = 0x80000;

    internal const uint IN_MODIFY = 0x2;
    internal const uint IN_ATTRIB = 0x4;
    internal const uint IN_CLOSE_WRITE = 0x8;
    internal const uint IN_MOVED_FROM = 0x40;
    internal const uint IN_MOVED_TO = 0x80;
    internal const uint IN_CREATE = 0x100;
    internal const uint IN_DELETE = 0x200;
    internal const uint IN_DELETE_SELF = 0x400;
    internal const uint IN_MOVE_SELF = 0x800;
    internal const uint IN_Q_OVERFLOW = 0x4000;
    internal const uint IN_IGNORED = 0x8000;
    internal const uint IN_ONESHOT = 0x80000000;

    /// <summary>struct inotify_event's fixed part; the name (len bytes, NUL-padded) follows it.</summary>
    internal const int InotifyEventHeaderSize = 16;

    [LibraryImport(Library, EntryPoint = "inotify_init1", SetLastError = true)]
    internal static partial int InotifyInit1(int flags);

    [LibraryImport(Library, EntryPoint = "inotify_add_watch", SetLastError = true)]
    internal static unsafe partial int InotifyAddWatch(int fd, byte* path, uint mask);

    [LibraryImport(Library, EntryPoint = "inotify_rm_watch", SetLastError = true)]
    internal static partial int InotifyRmWatch(int fd, int wd);
}
