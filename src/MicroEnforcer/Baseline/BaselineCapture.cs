using System.Buffers.Binary;
using System.Diagnostics;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Baseline;

/// <summary>
/// Walks the root filesystem at start and records every regular file with an execute bit.
/// getdents64 and statx relative to the directory fd: no path is resolved twice, no symlink is
/// followed, and no other mount is entered (see <see cref="MountTable"/>).
/// </summary>
internal static class BaselineCapture
{
    private const int DirentBufferSize = 64 * 1024;

    public static ImageBaseline Capture(string root, IReadOnlySet<string> mountPoints, Action<string>? onWarning = null)
    {
        var stopwatch = Stopwatch.StartNew();
        var entries = new ImageBaseline.Builder();
        int scanned = 0;
        byte[] buffer = new byte[DirentBufferSize];

        int rootFd = NativePath.Open(root, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (rootFd < 0)
            throw new SystemCallException($"open {root}", Libc.LastErrno);
        string prefix = root == "/" ? "" : root.TrimEnd('/');
        Walk(rootFd, prefix, mountPoints, buffer, entries, ref scanned, onWarning);
        ImageBaseline baseline = entries.Build(scanned);
        baseline.CaptureTime = stopwatch.Elapsed;
        return baseline;
    }

    // Depth-first; the directory fd is closed by this frame. Depth is bounded by PATH_MAX.
    private static unsafe void Walk(int dirFd, string dirPath, IReadOnlySet<string> mountPoints, byte[] buffer,
        ImageBaseline.Builder entries, ref int scanned, Action<string>? onWarning)
    {
        var subdirectories = new List<string>();
        try
        {
            while (true)
            {
                nint read;
                fixed (byte* p = buffer)
                    read = Libc.GetDents64(dirFd, p, (nuint)buffer.Length);
                if (read < 0)
                {
                    onWarning?.Invoke($"baseline: cannot list {PathOrRoot(dirPath)}: {Libc.DescribeErrno(Libc.LastErrno)}");
                    break;
                }
                if (read == 0)
                    break;
                for (int offset = 0; offset < read;)
                {
                    // struct linux_dirent64 { u64 ino; s64 off; u16 reclen; u8 type; char name[]; }
                    ushort recordLength = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(offset + 16));
                    byte type = buffer[offset + 18];
                    var nameBytes = buffer.AsSpan(offset + 19, recordLength - 19);
                    nameBytes = nameBytes[..nameBytes.IndexOf((byte)0)];
                    int nameOffset = offset + 19;
                    offset += recordLength;
                    if (nameBytes.SequenceEqual("."u8) || nameBytes.SequenceEqual(".."u8))
                        continue;
                    if (type != Libc.DT_DIR && type != Libc.DT_REG && type != Libc.DT_UNKNOWN)
                        continue;   // symlinks, devices, fifos, sockets: never an image executable

                    string path = dirPath + "/" + PathText.Decode(nameBytes);
                    if (mountPoints.Contains(path))
                        continue;

                    Libc.statx st;
                    int rc;
                    fixed (byte* name = &buffer[nameOffset])
                        rc = Libc.Statx(dirFd, name, Libc.AT_SYMLINK_NOFOLLOW | Libc.AT_STATX_DONT_SYNC, Libc.STATX_BASIC_STATS, &st);
                    if (rc != 0)
                        continue;   // vanished while we looked: it was not there at start
                    var signature = FileSignature.From(st);
                    if ((st.stx_mode & Libc.S_IFMT) == Libc.S_IFDIR)
                    {
                        subdirectories.Add(path);
                    }
                    else if (signature.IsRegularFile)
                    {
                        scanned++;
                        if (signature.IsExecutable)
                            entries.Add(path, signature);
                    }
                }
            }

            foreach (string subdirectory in subdirectories)
            {
                int childFd = NativePath.OpenAt(dirFd, subdirectory[(subdirectory.LastIndexOf('/') + 1)..],
                    Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
                if (childFd < 0)
                {
                    onWarning?.Invoke($"baseline: cannot open {subdirectory}: {Libc.DescribeErrno(Libc.LastErrno)}");
                    continue;
                }
                Walk(childFd, subdirectory, mountPoints, buffer, entries, ref scanned, onWarning);
            }
        }
        finally
        {
            Libc.Close(dirFd);
        }
    }

    private static string PathOrRoot(string path) => path.Length == 0 ? "/" : path;
}
