using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

internal static partial class Libc
{
    [LibraryImport(Library, EntryPoint = "gettid")]
    internal static partial int GetTid();

    [StructLayout(LayoutKind.Sequential)]
    internal struct timespec
    {
        public long tv_sec;
        public long tv_nsec;
    }

    // Thread.Sleep is a timed futex wait on a condition variable (two futex calls and a
    // sched_yield now and then); a thread that only ever sleeps needs one nanosleep.
    [LibraryImport(Library, EntryPoint = "nanosleep", SetLastError = true)]
    internal static unsafe partial int NanoSleep(timespec* request, timespec* remaining);

    internal static unsafe void Sleep(TimeSpan interval)
    {
        var request = new timespec { tv_sec = (long)interval.TotalSeconds, tv_nsec = interval.Ticks % TimeSpan.TicksPerSecond * 100 };
        NanoSleep(&request, null);
    }
}
