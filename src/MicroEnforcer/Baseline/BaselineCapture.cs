using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Baseline;

/// <summary>
/// Walks the root filesystem and records every regular file with an execute bit, on up to four
/// threads (about 10 µs a file on a freshly mounted overlay here, nearly all of it in the kernel's
/// lookups, which run in parallel).
/// Directories are listed with getdents64 and their entries statx'ed relative to the directory
/// fd; each directory is opened by its path beneath the root with openat2 RESOLVE_NO_SYMLINKS |
/// RESOLVE_NO_XDEV, so no symlink is followed and no other mount is entered (mount points are
/// also skipped by name, see <see cref="MountTable"/>).
///
/// With a <see cref="StartMark"/>, the workload runs while the tree is walked: an executable is
/// recorded as the image's only if its ctime proves it unchanged since the mark, or if only its
/// metadata changed, which the <see cref="ContentStamps"/> vouch for (recorded as resting on their
/// word), and as changed otherwise. Directories may vanish or move meanwhile; a file the walk misses that way is not in
/// the baseline (drift, the safe side). If the clock is set during the walk, ctimes prove nothing
/// from then on: the directory being listed is forgotten and the walk stops there.
/// </summary>
internal static class BaselineCapture
{
    private const int DirentBufferSize = 64 * 1024;
    private const int MaxWorkers = 4;

    public static ImageBaseline Capture(string root, IReadOnlySet<string> mountPoints, StartMark? mark = null, Action<string>? onWarning = null,
        ContentStamps? stamps = null)
    {
        var stopwatch = Stopwatch.StartNew();
        int rootFd = NativePath.Open(root, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (rootFd < 0)
            throw new SystemCallException($"open {root}", Libc.LastErrno);
        try
        {
            var walk = new Walk(rootFd, root == "/" ? "" : root.TrimEnd('/'), mountPoints, mark, onWarning, stamps);
            walk.Run(Math.Clamp(Environment.ProcessorCount, 1, MaxWorkers));
            ImageBaseline baseline = ImageBaseline.Builder.Build(walk.Parts, walk.FilesScanned);
            baseline.CaptureTime = stopwatch.Elapsed;
            baseline.ClockSetDuringCapture = walk.ClockWasSet;
            return baseline;
        }
        finally
        {
            Libc.Close(rootFd);
        }
    }

    /// <summary>
    /// One capture: a stack of directories still to list (paths relative to the root, "" for the
    /// root itself), shared by the workers, each of which records into a builder of its own.
    /// </summary>
    private sealed class Walk(int rootFd, string prefix, IReadOnlySet<string> mountPoints, StartMark? mark, Action<string>? onWarning,
        ContentStamps? stamps)
    {
        private readonly ConcurrentStack<string> _directories = new();
        private readonly ConcurrentBag<ImageBaseline.Builder> _parts = [];
        private int _outstanding;   // directories pushed and not yet listed to the end
        private int _filesScanned;
        private volatile bool _clockWasSet;
        private Exception? _failure;   // the first worker's exception: every worker stops

        public bool ClockWasSet => _clockWasSet;

        public IReadOnlyList<ImageBaseline.Builder> Parts => [.. _parts];

        public int FilesScanned => _filesScanned;

        public void Run(int workers)
        {
            _outstanding = 1;
            _directories.Push("");
            var threads = new List<Thread>();
            for (int i = 1; i < workers; i++)
            {
                var thread = new Thread(WorkOrStop) { IsBackground = true, Name = "baseline-walk" };
                thread.Start();
                threads.Add(thread);
            }
            WorkOrStop();
            foreach (Thread thread in threads)
                thread.Join();
            // Behind a running workload an exception on a helper thread would end PID 1: it is
            // raised here instead, once every worker has stopped, for the caller to handle.
            if (_failure is not null)
                throw new InvalidOperationException("the baseline walk failed", _failure);
        }

        private void WorkOrStop()
        {
            try
            {
                Work();
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
        }

        private void Work()
        {
            var entries = new ImageBaseline.Builder();
            _parts.Add(entries);
            byte[] buffer = new byte[DirentBufferSize];
            int scanned = 0;
            var idle = new SpinWait();
            while (!_clockWasSet && Volatile.Read(ref _failure) is null)
            {
                if (_directories.TryPop(out string? relative))
                {
                    ListDirectory(relative, buffer, entries, ref scanned);
                    Interlocked.Decrement(ref _outstanding);
                    idle.Reset();
                }
                else if (Volatile.Read(ref _outstanding) == 0)
                {
                    break;   // nothing queued, and nobody listing who could queue more
                }
                else
                {
                    idle.SpinOnce();
                }
            }
            Interlocked.Add(ref _filesScanned, scanned);
        }

        /// <summary>
        /// Files whose metadata alone changed hold the image's content (the stamps vouch for it),
        /// but a rename or a hard link also changes only metadata: such a file is the image's
        /// executable at this name only if the name is the image's too. A directory's mtime moves
        /// whenever an entry is added, removed or renamed in it (an overlay copy-up restores its
        /// parent's), so if it is still earlier than the mark, read after the listing, every name
        /// listed was bound to its inode before the start. Otherwise the files are recorded as changed.
        /// </summary>
        private void RecordByStamps(int dirFd, List<(string Path, FileSignature Signature)> byStamps, ImageBaseline.Builder entries)
        {
            bool namesUnchanged = mark is not null && FileSignature.TryRead(dirFd, out FileSignature directory) == 0 &&
                directory.MountId == mark.RootMountId && mark.IsBefore(directory.MtimeSec, directory.MtimeNsec);
            foreach ((string path, FileSignature signature) in byStamps)
            {
                if (namesUnchanged)
                    entries.AddByStamps(path, signature);
                else
                    entries.AddChanged(path);
            }
        }

        private unsafe void ListDirectory(string relative, byte[] buffer, ImageBaseline.Builder entries, ref int scanned)
        {
            string dirPath = relative.Length == 0 ? prefix : prefix + "/" + relative;
            int dirFd = relative.Length == 0 ? rootFd : NativePath.OpenDirectoryBeneath(rootFd, PathText.Encode(relative));
            if (dirFd < 0)
            {
                // Behind a running workload a directory may vanish or be replaced: not worth a warning.
                if (mark is null || -dirFd is not (Libc.ENOENT or Libc.ENOTDIR))
                    onWarning?.Invoke($"baseline: cannot open {dirPath}: {Libc.DescribeErrno(-dirFd)}");
                return;
            }
            int recordedBefore = entries.Count;
            List<(string Path, FileSignature Signature)>? byStamps = null;
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

                        string name = PathText.Decode(nameBytes);
                        string path = dirPath + "/" + name;
                        if (mountPoints.Contains(path))
                            continue;

                        Libc.statx st;
                        int rc;
                        fixed (byte* namePointer = &buffer[nameOffset])
                            rc = Libc.Statx(dirFd, namePointer, Libc.AT_SYMLINK_NOFOLLOW | Libc.AT_STATX_DONT_SYNC, NativePath.StatxMask, &st);
                        if (rc != 0)
                            continue;   // vanished while we looked: it was not there at start
                        var signature = FileSignature.From(st);
                        if (mark is not null && signature.MountId != mark.RootMountId)
                            continue;   // mounted here since the mount table was read: not the image
                        if ((st.stx_mode & Libc.S_IFMT) == Libc.S_IFDIR)
                        {
                            Interlocked.Increment(ref _outstanding);   // before the push: the count never reads 0 too early
                            _directories.Push(relative.Length == 0 ? name : relative + "/" + name);
                        }
                        else if (signature.IsRegularFile)
                        {
                            scanned++;
                            if (!signature.IsExecutable)
                                continue;
                            if (mark is null || mark.IsBefore(signature.CtimeSec, signature.CtimeNsec))
                                entries.Add(path, signature);
                            else if (stamps is not null && stamps.Vouch(signature, signature))
                                (byStamps ??= []).Add((path, signature));   // only its metadata changed: if at this name since the start, below
                            else
                                entries.AddChanged(path);
                        }
                    }
                }
                // Asked after this directory's statx calls: if the clock was set before any of
                // them, the ctimes they read prove nothing, and this directory is forgotten.
                if (mark is not null && mark.ClockWasSet())
                {
                    entries.Truncate(recordedBefore);
                    _clockWasSet = true;
                    return;
                }
                if (byStamps is not null)
                    RecordByStamps(dirFd, byStamps, entries);
            }
            finally
            {
                if (dirFd != rootFd)
                    Libc.Close(dirFd);
            }
        }
    }

    private static string PathOrRoot(string path) => path.Length == 0 ? "/" : path;
}
