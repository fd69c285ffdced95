using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

internal static partial class Libc
{
    internal const int PR_SET_DUMPABLE = 4;

    [LibraryImport(Library, EntryPoint = "gettid")]
    internal static partial int GetTid();
}
