using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

internal static partial class Libc
{
    internal const int EPERM = 1;
    internal const int ENOENT = 2;
    internal const int ESRCH = 3;
    internal const int EINTR = 4;
    internal const int ECONNABORTED = 103;
    internal const int EAGAIN = 11;
    internal const int EACCES = 13;
    internal const int EFAULT = 14;
    internal const int ENOTDIR = 20;
    internal const int EINVAL = 22;
    internal const int ENAMETOOLONG = 36;
    internal const int ENOSYS = 38;
    internal const int ELOOP = 40;
    internal const int ECANCELED = 125;
    internal const int ECHILD = 10;

    internal static int LastErrno => Marshal.GetLastPInvokeError();

    [LibraryImport(Library, EntryPoint = "strerror")]
    private static partial nint StrError(int errnum);

    internal static string DescribeErrno(int errno)
    {
        string? text = Marshal.PtrToStringUTF8(StrError(errno));
        return $"{text ?? "unknown error"} (errno {errno})";
    }
}

/// <summary>A system call failed with an errno its caller did not expect.</summary>
internal sealed class SystemCallException(string operation, int errno)
    : Exception($"{operation}: {Libc.DescribeErrno(errno)}")
{
    public int Errno { get; } = errno;
}
