using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

internal static partial class Libc
{
    internal const int AT_FDCWD = -100;
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const int AT_EMPTY_PATH = 0x1000;
    internal const int AT_STATX_DONT_SYNC = 0x4000;

    internal const int O_RDONLY = 0;
    internal const int O_WRONLY = 1;
    internal const int O_RDWR = 2;
    internal const int O_DIRECTORY = 0x10000;
    internal const int O_NOFOLLOW = 0x20000;
    internal const int O_CLOEXEC = 0x80000;
    internal const int O_PATH = 0x200000;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_CREAT = 0x40;
    internal const int O_TRUNC = 0x200;
    internal const int O_TMPFILE = 0x410000;   // includes O_DIRECTORY
    internal const ushort S_IFLNK = 0xA000;

    internal const ushort S_IFMT = 0xF000;
    internal const ushort S_IFREG = 0x8000;
    internal const ushort S_IFDIR = 0x4000;
    internal const ushort S_IFIFO = 0x1000;
    internal const ushort S_IFCHR = 0x2000;
    internal const ushort S_IXUGO = 0x49;

    internal const byte DT_UNKNOWN = 0;
    internal const byte DT_DIR = 4;
    internal const byte DT_REG = 8;

    internal const uint STATX_BASIC_STATS = 0x7ff;
    internal const uint STATX_MNT_ID = 0x1000;

    internal const long OVERLAYFS_SUPER_MAGIC = 0x794c7630;
    internal const long TMPFS_MAGIC = 0x01021994;
    internal const long PROC_SUPER_MAGIC = 0x9fa0;
    internal const long EXT4_SUPER_MAGIC = 0xef53;
    internal const long XFS_SUPER_MAGIC = 0x58465342;
    internal const long BTRFS_SUPER_MAGIC = 0x9123683e;
    internal const long F2FS_SUPER_MAGIC = 0xF2F52010;

    [StructLayout(LayoutKind.Sequential)]
    internal struct statx_timestamp
    {
        public long tv_sec;
        public uint tv_nsec;
        public int reserved;
    }

    [StructLayout(LayoutKind.Sequential, Size = 256)]
    internal struct statx
    {
        public uint stx_mask;
        public uint stx_blksize;
        public ulong stx_attributes;
        public uint stx_nlink;
        public uint stx_uid;
        public uint stx_gid;
        public ushort stx_mode;
        public ushort spare0;
        public ulong stx_ino;
        public ulong stx_size;
        public ulong stx_blocks;
        public ulong stx_attributes_mask;
        public statx_timestamp stx_atime;
        public statx_timestamp stx_btime;
        public statx_timestamp stx_ctime;
        public statx_timestamp stx_mtime;
        public uint stx_rdev_major;
        public uint stx_rdev_minor;
        public uint stx_dev_major;
        public uint stx_dev_minor;
        public ulong stx_mnt_id;   // with STATX_MNT_ID
    }

    /// <summary>struct statfs on 64-bit Linux; the filesystem type and the mount flags are read.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 120)]
    internal struct statfs
    {
        public long f_type;
        public long f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_fsid, f_namelen, f_frsize;
        public long f_flags;   // ST_* of the mount (ST_RDONLY), since Linux 2.6.36
    }

    internal const long ST_RDONLY = 1;

    [LibraryImport(Library, EntryPoint = "openat", SetLastError = true)]
    internal static unsafe partial int OpenAt(int dirfd, byte* path, int flags, int mode);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    internal static unsafe partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "pread", SetLastError = true)]
    internal static unsafe partial nint PRead(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    internal static unsafe partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true)]
    internal static unsafe partial int Statx(int dirfd, byte* path, int flags, uint mask, statx* buffer);

    // Paths go through NativePath: names are bytes (Interop/PathText.cs), never re-encoded text.
    [LibraryImport(Library, EntryPoint = "open", SetLastError = true)]
    internal static unsafe partial int Open(byte* path, int flags, int mode);

    [LibraryImport(Library, EntryPoint = "readlink", SetLastError = true)]
    internal static unsafe partial nint ReadLink(byte* path, byte* buffer, nuint size);

    [LibraryImport(Library, EntryPoint = "fstatfs", SetLastError = true)]
    internal static unsafe partial int FStatFs(int fd, statfs* buffer);

    [LibraryImport(Library, EntryPoint = "getdents64", SetLastError = true)]
    internal static unsafe partial nint GetDents64(int fd, byte* buffer, nuint count);
}
