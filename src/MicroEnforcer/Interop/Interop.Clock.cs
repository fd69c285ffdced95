using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

internal static partial class Libc
{
    internal const int CLOCK_REALTIME = 0;
    internal const int CLOCK_REALTIME_COARSE = 5;
    internal const int TFD_CLOEXEC = 0x80000;
    internal const int TFD_NONBLOCK = 0x800;
    internal const int TFD_TIMER_ABSTIME = 1;
    internal const int TFD_TIMER_CANCEL_ON_SET = 2;

    // timespec: Interop.Thread.cs
    [StructLayout(LayoutKind.Sequential)]
    internal struct itimerspec
    {
        public timespec it_interval;
        public timespec it_value;
    }

    [LibraryImport(Library, EntryPoint = "clock_gettime", SetLastError = true)]
    internal static unsafe partial int ClockGetTime(int clock, timespec* time);

    [LibraryImport(Library, EntryPoint = "timerfd_create", SetLastError = true)]
    internal static partial int TimerFdCreate(int clock, int flags);

    [LibraryImport(Library, EntryPoint = "timerfd_settime", SetLastError = true)]
    internal static unsafe partial int TimerFdSetTime(int fd, int flags, itimerspec* value, itimerspec* old);
}
