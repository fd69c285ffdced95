using System.Buffers.Text;
using System.Globalization;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Procfs;

/// <summary>What kind of stream a descriptor is, for following data between processes.</summary>
internal enum StreamKind
{
    /// <summary>An anonymous pipe or a FIFO (both are pipe inodes): keyed by device and inode.</summary>
    Pipe,

    /// <summary>The master side of a pty (/dev/ptmx): keyed by its index (fdinfo tty-index).</summary>
    PtyMaster,

    /// <summary>The slave side (/dev/pts/N): keyed by N.</summary>
    PtySlave,

    /// <summary>A socket: keyed by its inode (socket:[N]).</summary>
    Socket,
}

/// <summary>One stream: pipes by (device, inode), ptys by index, sockets by inode.</summary>
internal readonly record struct StreamKey(StreamKind Kind, ulong Device, ulong Inode);

/// <summary>A process's descriptor on a stream, with the direction it was opened for.</summary>
internal readonly record struct StreamHandle(int Pid, int Fd, StreamKey Stream, bool Reads, bool Writes);

/// <summary>
/// The pipes, FIFOs, ptys and sockets the processes of the pid namespace hold, from
/// /proc/PID/fd (what each descriptor is: statx through the magic link) and /proc/PID/fdinfo
/// (the direction it was opened for; a pty master's index). Other descriptors (files,
/// directories, event fds) are left out. A snapshot: processes may come and go while it is read.
/// </summary>
internal sealed class OpenFiles
{
    private const uint PtySlaveMajorFirst = 136, PtySlaveMajorLast = 143, PtmxMajor = 5, PtmxMinor = 2;

    private readonly Dictionary<int, List<StreamHandle>> _byPid = [];
    private readonly Dictionary<StreamKey, List<StreamHandle>> _byStream = [];

    /// <summary>Every process in /proc but <paramref name="except"/> (PID 1's own view is not the workload's).</summary>
    public static OpenFiles Scan(int except)
    {
        var files = new OpenFiles();
        foreach (string entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid != except)
                files.Add(pid, Read(pid));
        }
        return files;
    }

    /// <summary>The streams one process holds (a thread id reads its process's table).</summary>
    public static List<StreamHandle> Read(int pid)
    {
        var handles = new List<StreamHandle>();
        IEnumerable<string> fds;
        try
        {
            fds = Directory.GetFiles($"/proc/{pid}/fd");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return handles;   // gone, or not ours to read
        }
        foreach (string fdPath in fds)
        {
            if (!int.TryParse(Path.GetFileName(fdPath), NumberStyles.None, CultureInfo.InvariantCulture, out int fd))
                continue;
            if (Describe(pid, fd, fdPath) is { } handle)
                handles.Add(handle);
        }
        return handles;
    }

    private void Add(int pid, List<StreamHandle> handles)
    {
        _byPid[pid] = handles;
        foreach (StreamHandle handle in handles)
        {
            if (!_byStream.TryGetValue(handle.Stream, out List<StreamHandle>? holders))
                _byStream[handle.Stream] = holders = [];
            holders.Add(handle);
        }
    }

    public IReadOnlyList<StreamHandle> Of(int pid) => _byPid.TryGetValue(pid, out List<StreamHandle>? handles) ? handles : [];

    public IReadOnlyList<StreamHandle> Holders(StreamKey stream) =>
        _byStream.TryGetValue(stream, out List<StreamHandle>? holders) ? holders : [];

    private static StreamHandle? Describe(int pid, int fd, string fdPath)
    {
        string? link = NativePath.ReadLink(fdPath);
        if (link is null || link.StartsWith("anon_inode:", StringComparison.Ordinal))
            return null;
        if (ProcessDescriptors.SocketInode(link) is ulong socket)
            return new StreamHandle(pid, fd, new StreamKey(StreamKind.Socket, 0, socket), true, true);
        bool pipe = link.StartsWith("pipe:[", StringComparison.Ordinal);
        if (!pipe && !link.StartsWith('/'))
            return null;
        if (NativePath.Statx(fdPath, 0, out Libc.statx st) != 0)
            return null;
        ushort type = (ushort)(st.stx_mode & Libc.S_IFMT);
        if (type == Libc.S_IFIFO)
        {
            (bool reads, bool writes, _) = ReadFdInfo(pid, fd);
            ulong device = ((ulong)st.stx_dev_major << 32) | st.stx_dev_minor;
            return new StreamHandle(pid, fd, new StreamKey(StreamKind.Pipe, device, st.stx_ino), reads, writes);
        }
        if (type != Libc.S_IFCHR)
            return null;
        if (st.stx_rdev_major is >= PtySlaveMajorFirst and <= PtySlaveMajorLast)
        {
            ulong index = ((st.stx_rdev_major - PtySlaveMajorFirst) << 8) | st.stx_rdev_minor;   // the kernel's 20-bit minor space, folded
            return new StreamHandle(pid, fd, new StreamKey(StreamKind.PtySlave, 0, index), true, true);
        }
        if (st.stx_rdev_major == PtmxMajor && st.stx_rdev_minor == PtmxMinor)
        {
            (_, _, long ttyIndex) = ReadFdInfo(pid, fd);
            return ttyIndex >= 0 ? new StreamHandle(pid, fd, new StreamKey(StreamKind.PtyMaster, 0, (ulong)ttyIndex), true, true) : null;
        }
        return null;
    }

    /// <summary>The access mode (flags: octal) and, for a pty master, tty-index, from /proc/PID/fdinfo/FD.</summary>
    private static (bool Reads, bool Writes, long TtyIndex) ReadFdInfo(int pid, int fd)
    {
        Span<byte> buffer = stackalloc byte[512];
        int n = ProcFile.ReadOnce($"/proc/{pid}/fdinfo/{fd}", buffer);
        if (n <= 0)
            return (true, true, -1);   // unreadable: assume either direction (the safe side for a search)
        ReadOnlySpan<byte> text = buffer[..n];
        int accessMode = 2;
        long ttyIndex = -1;
        while (!text.IsEmpty)
        {
            int end = text.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = end < 0 ? text : text[..end];
            text = end < 0 ? default : text[(end + 1)..];
            if (line.StartsWith("flags:"u8))
            {
                ReadOnlySpan<byte> octal = line[6..].Trim("\t "u8);
                long flags = 0;
                foreach (byte digit in octal)
                    flags = flags * 8 + (digit - '0');
                accessMode = (int)(flags & 3);
            }
            else if (line.StartsWith("tty-index:"u8) && Utf8Parser.TryParse(line[10..].Trim("\t "u8), out long index, out _))
            {
                ttyIndex = index;
            }
        }
        return (accessMode is 0 or 2, accessMode is 1 or 2, ttyIndex);
    }
}
