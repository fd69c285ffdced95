namespace MicroEnforcer.Interop;

// The attribute calls PID 1 performs for a workload caller (Controls/AttributeChangeGuard.cs),
// raw: each on a descriptor PID 1 resolved once, so nothing can swap the file in between.
internal static partial class Libc
{
    internal const long SYS_fchmod = 91;
    internal const long SYS_fchown = 93;
    internal const long SYS_fchownat = 260;
    internal const long SYS_fchmodat2 = 452;
    internal const long SYS_setxattr = 188;
    internal const long SYS_lsetxattr = 189;
    internal const long SYS_fsetxattr = 190;
    internal const long SYS_removexattr = 197;
    internal const long SYS_fremovexattr = 199;
    internal const long SYS_readlinkat = 267;
    internal const long SYS_newfstatat = 262;
    internal const long SYS_openat = 257;

    internal const int EROFS = 30;
    internal const int ERANGE = 34;
    internal const int E2BIG = 7;
    internal const int EBADF = 9;

    internal const int XATTR_NAME_MAX = 255;
    internal const int XATTR_SIZE_MAX = 65536;
}
