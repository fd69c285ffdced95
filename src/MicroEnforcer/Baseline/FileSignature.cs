using System.Runtime.InteropServices;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Baseline;

/// <summary>
/// The fast identity of a file. On overlayfs st_ino survives copy-up and mtime is preserved,
/// but ctime is not, and userspace cannot set ctime: when all of (dev, ino, size, mtime, ctime)
/// match, the file has not been touched since the baseline. Anything else needs a content hash.
/// The mount it was found on is not part of that identity; it tells an image file (the root
/// mount) from a volume's (see <see cref="StartMark"/>).
/// </summary>
[StructLayout(LayoutKind.Auto)]   // 64 bytes, not 72: the baseline holds one per executable
internal readonly record struct FileSignature(
    uint DevMajor, uint DevMinor, ulong Inode, ulong Size,
    long MtimeSec, uint MtimeNsec, long CtimeSec, uint CtimeNsec,
    ushort Mode, uint LinkCount, ulong MountId = 0)
{
    public bool IsRegularFile => (Mode & Libc.S_IFMT) == Libc.S_IFREG;

    public bool IsExecutable => (Mode & Libc.S_IXUGO) != 0;

    /// <summary>Same file, untouched: content equality follows without reading it.</summary>
    public bool IsUntouchedSince(in FileSignature baseline) =>
        DevMajor == baseline.DevMajor && DevMinor == baseline.DevMinor && Inode == baseline.Inode &&
        Size == baseline.Size && MtimeSec == baseline.MtimeSec && MtimeNsec == baseline.MtimeNsec &&
        CtimeSec == baseline.CtimeSec && CtimeNsec == baseline.CtimeNsec;

    /// <summary>
    /// Whether this signature can stand for the content it was taken with. Where timestamps are
    /// coarse (the kernel's tick, up to 10 ms; multigrain timestamps only cover some filesystems),
    /// a file changed again within the tick of its last change keeps its ctime and mtime, so a
    /// signature proves nothing about a file changed a moment ago: a verdict on its content is not
    /// kept until its ctime is some seconds old.
    /// </summary>
    public bool IsSettled => DateTimeOffset.UtcNow.ToUnixTimeSeconds() - CtimeSec >= SettledSeconds;

    private const long SettledSeconds = 2;

    public static FileSignature From(in Libc.statx st) => new(
        st.stx_dev_major, st.stx_dev_minor, st.stx_ino, st.stx_size,
        st.stx_mtime.tv_sec, st.stx_mtime.tv_nsec, st.stx_ctime.tv_sec, st.stx_ctime.tv_nsec,
        st.stx_mode, st.stx_nlink, (st.stx_mask & Libc.STATX_MNT_ID) != 0 ? st.stx_mnt_id : 0);

    /// <summary>statx of a path (following a final symlink, like execve). Returns an errno or 0.</summary>
    public static int TryRead(string path, out FileSignature signature)
    {
        if (NativePath.Statx(path, 0, out Libc.statx st) != 0)
        {
            signature = default;
            return Libc.LastErrno;
        }
        signature = From(st);
        return 0;
    }

    /// <summary>statx of an open file descriptor (O_PATH is enough).</summary>
    public static unsafe int TryRead(int fd, out FileSignature signature)
    {
        Libc.statx st;
        byte empty = 0;
        if (Libc.Statx(fd, &empty, Libc.AT_EMPTY_PATH, NativePath.StatxMask, &st) != 0)
        {
            signature = default;
            return Libc.LastErrno;
        }
        signature = From(st);
        return 0;
    }
}
