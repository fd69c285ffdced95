using System.Buffers.Binary;
using MicroEnforcer.Interop;
using MicroEnforcer.Procfs;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>A path a file call names: as the caller wrote it, and resolved (null when it names no file now).</summary>
/// <param name="Requested">The argument as read from the caller's memory ("" for an fd or AT_EMPTY_PATH).</param>
/// <param name="Resolved">The absolute path in PID 1's view (see <see cref="FilePathResolver"/>).</param>
internal sealed record FileCallPath(string Requested, string? Resolved);

/// <summary>
/// What a notified file syscall does, decoded for its ABI: the operation (for an open, the set
/// its flags ask for; openat2's are read from its open_how), the path it changes, and for rename
/// and link the second path (the new name). An audit report, never an enforcement: every path was
/// read from the caller's memory, which another thread can rewrite before the kernel reads it
/// again (docs/limits.md). Enforcement on files is Landlock's.
/// </summary>
/// <param name="Path">The file the call acts on: for rename and link the old name, for symlink the new link.</param>
/// <param name="NewPath">rename's and link's new name; null otherwise.</param>
/// <param name="LinkTarget">symlink's target text (stored in the link, not resolved).</param>
/// <param name="OpenFlags">An open's flags (creat's are O_CREAT|O_WRONLY|O_TRUNC); 0 for other calls.</param>
/// <param name="Exchange">renameat2 with RENAME_EXCHANGE: both names change.</param>
internal sealed record FileCall(SyscallKind Kind, FileOperation Operation, FileCallPath Path, FileCallPath? NewPath = null,
    string? LinkTarget = null, int OpenFlags = 0, bool Exchange = false)
{
    private const int AT_REMOVEDIR = 0x200;
    private const int AT_SYMLINK_FOLLOW = 0x400;
    private const uint RENAME_EXCHANGE = 2;
    private const ulong RESOLVE_IN_ROOT = 0x10;
    private const int OpenHowSize = 24;   // struct open_how { u64 flags, mode, resolve; } (OPEN_HOW_SIZE_VER0)

    /// <summary>Whether an open makes an unnamed file (O_TMPFILE): nothing is named until a linkat gives it a name.</summary>
    public bool IsTemporaryFile => (OpenFlags & Libc.O_TMPFILE) == Libc.O_TMPFILE;

    /// <summary>
    /// Decodes a notified call of one of the file kinds; null for another kind, or when its
    /// arguments cannot be read (the kernel fails the call the same way: EFAULT, EINVAL).
    /// </summary>
    public static FileCall? Decode(in SyscallCall call)
    {
        int tid = call.Tid;
        SyscallKind kind = call.Kind;
        switch (kind)
        {
            case SyscallKind.Open:
                return Open(call, Libc.AT_FDCWD, call.Word(0), Int(call, 1));
            case SyscallKind.OpenAt:
                return Open(call, Int(call, 0), call.Word(1), Int(call, 2));
            case SyscallKind.Creat:
                return Open(call, Libc.AT_FDCWD, call.Word(0), Libc.O_CREAT | Libc.O_WRONLY | Libc.O_TRUNC);
            case SyscallKind.OpenAt2:
                return OpenAt2(call);
            case SyscallKind.OpenByHandleAt:
            {
                // The handle names an inode, not a path: the mount's descriptor is what the call names.
                int flags = Int(call, 2);
                return new FileCall(kind, OpenOperation(flags), new FileCallPath("", FilePathResolver.OfDescriptor(tid, Int(call, 0))), OpenFlags: flags);
            }
            case SyscallKind.Truncate:
                return OnePath(call, kind, FileOperation.Truncate, Libc.AT_FDCWD, call.Word(0), follow: true);
            case SyscallKind.Ftruncate:
                return OfDescriptor(call, FileOperation.Truncate, Int(call, 0));
            case SyscallKind.Unlink:
                return OnePath(call, kind, FileOperation.Delete, Libc.AT_FDCWD, call.Word(0), follow: false);
            case SyscallKind.Rmdir:
                return OnePath(call, kind, FileOperation.Delete, Libc.AT_FDCWD, call.Word(0), follow: false);
            case SyscallKind.UnlinkAt:
                return OnePath(call, kind, FileOperation.Delete, Int(call, 0), call.Word(1), follow: false);
            case SyscallKind.Rename:
                return TwoPaths(call, FileOperation.Rename, Libc.AT_FDCWD, call.Word(0), Libc.AT_FDCWD, call.Word(1), followOld: false, emptyOld: false);
            case SyscallKind.RenameAt:
                return TwoPaths(call, FileOperation.Rename, Int(call, 0), call.Word(1), Int(call, 2), call.Word(3), followOld: false, emptyOld: false);
            case SyscallKind.RenameAt2:
                return TwoPaths(call, FileOperation.Rename, Int(call, 0), call.Word(1), Int(call, 2), call.Word(3), followOld: false, emptyOld: false)
                    is { } renamed ? renamed with { Exchange = ((uint)call.Arg(4) & RENAME_EXCHANGE) != 0 } : null;
            case SyscallKind.Link:
                return TwoPaths(call, FileOperation.Link, Libc.AT_FDCWD, call.Word(0), Libc.AT_FDCWD, call.Word(1), followOld: false, emptyOld: false);
            case SyscallKind.LinkAt:
            {
                int flags = Int(call, 4);
                return TwoPaths(call, FileOperation.Link, Int(call, 0), call.Word(1), Int(call, 2), call.Word(3),
                    followOld: (flags & AT_SYMLINK_FOLLOW) != 0, emptyOld: (flags & Libc.AT_EMPTY_PATH) != 0);
            }
            case SyscallKind.Symlink:
                return Symlink(call, call.Word(0), Libc.AT_FDCWD, call.Word(1));
            case SyscallKind.SymlinkAt:
                return Symlink(call, call.Word(0), Int(call, 1), call.Word(2));
            case SyscallKind.Mkdir:
                return OnePath(call, kind, FileOperation.MakeDirectory, Libc.AT_FDCWD, call.Word(0), follow: false);
            case SyscallKind.MkdirAt:
                return OnePath(call, kind, FileOperation.MakeDirectory, Int(call, 0), call.Word(1), follow: false);
            case SyscallKind.Mknod:
                return OnePath(call, kind, FileOperation.MakeNode, Libc.AT_FDCWD, call.Word(0), follow: false);
            case SyscallKind.MknodAt:
                return OnePath(call, kind, FileOperation.MakeNode, Int(call, 0), call.Word(1), follow: false);
            case SyscallKind.Chmod:
                return OnePath(call, kind, FileOperation.ChangeMode, Libc.AT_FDCWD, call.Word(0), follow: true);
            case SyscallKind.Fchmod:
                return OfDescriptor(call, FileOperation.ChangeMode, Int(call, 0));
            case SyscallKind.FchmodAt:
                return OnePath(call, kind, FileOperation.ChangeMode, Int(call, 0), call.Word(1), follow: true);
            case SyscallKind.FchmodAt2:
                return AtFlags(call, FileOperation.ChangeMode, Int(call, 3));
            case SyscallKind.Chown:
                return OnePath(call, kind, FileOperation.ChangeOwner, Libc.AT_FDCWD, call.Word(0), follow: true);
            case SyscallKind.Lchown:
                return OnePath(call, kind, FileOperation.ChangeOwner, Libc.AT_FDCWD, call.Word(0), follow: false);
            case SyscallKind.Fchown:
                return OfDescriptor(call, FileOperation.ChangeOwner, Int(call, 0));
            case SyscallKind.FchownAt:
                return AtFlags(call, FileOperation.ChangeOwner, Int(call, 4));
            case SyscallKind.SetXattr:
                return OnePath(call, kind, FileOperation.SetXattr, Libc.AT_FDCWD, call.Word(0), follow: true);
            case SyscallKind.LsetXattr:
                return OnePath(call, kind, FileOperation.SetXattr, Libc.AT_FDCWD, call.Word(0), follow: false);
            case SyscallKind.FsetXattr:
                return OfDescriptor(call, FileOperation.SetXattr, Int(call, 0));
            case SyscallKind.SetXattrAt:
                return AtFlags(call, FileOperation.SetXattr, Int(call, 2));
            case SyscallKind.RemoveXattr:
                return OnePath(call, kind, FileOperation.RemoveXattr, Libc.AT_FDCWD, call.Word(0), follow: true);
            case SyscallKind.LremoveXattr:
                return OnePath(call, kind, FileOperation.RemoveXattr, Libc.AT_FDCWD, call.Word(0), follow: false);
            case SyscallKind.FremoveXattr:
                return OfDescriptor(call, FileOperation.RemoveXattr, Int(call, 0));
            case SyscallKind.RemoveXattrAt:
                return AtFlags(call, FileOperation.RemoveXattr, Int(call, 2));
            default:
                return null;
        }
    }

    /// <summary>What an open's flags ask for: read and/or write by the access mode, create, truncate.</summary>
    public static FileOperation OpenOperation(int flags)
    {
        FileOperation operation = (flags & 3) switch
        {
            Libc.O_WRONLY => FileOperation.Write,
            Libc.O_RDWR => FileOperation.Read | FileOperation.Write,
            Libc.O_RDONLY => FileOperation.Read,
            _ => FileOperation.Read | FileOperation.Write,   // 3: Linux's "ioctl only" mode checks both permissions
        };
        if ((flags & Libc.O_CREAT) != 0 || (flags & Libc.O_TMPFILE) == Libc.O_TMPFILE)
            operation |= FileOperation.Create;
        if ((flags & Libc.O_TRUNC) != 0)
            operation |= FileOperation.Truncate;
        return operation;
    }

    // dirfds, fds and flags are C ints whatever the ABI.
    private static int Int(in SyscallCall call, int index) => unchecked((int)(uint)call.Arg(index));

    private static byte[]? ReadPath(in SyscallCall call, ulong address) =>
        ProcessMemory.TryReadCBytes(call.Tid, address, ProcessMemory.PathMax, out byte[]? path) == 0 ? path : null;

    private static FileCall? Open(in SyscallCall call, int dirFd, ulong pathAddress, int flags)
    {
        if (ReadPath(call, pathAddress) is not { } path)
            return null;
        return OpenOf(call, dirFd, path, flags);
    }

    private static FileCall OpenOf(in SyscallCall call, int dirFd, byte[] path, int flags)
    {
        // O_TMPFILE names the directory the unnamed file is made in; O_CREAT|O_EXCL never follows
        // a final symlink (EEXIST), O_NOFOLLOW refuses one (ELOOP).
        bool tmpFile = (flags & Libc.O_TMPFILE) == Libc.O_TMPFILE;
        const int O_EXCL = 0x80;
        bool follow = (flags & Libc.O_NOFOLLOW) == 0 && (flags & (Libc.O_CREAT | O_EXCL)) != (Libc.O_CREAT | O_EXCL);
        string? resolved = FilePathResolver.Resolve(call.Tid, dirFd, path, follow || tmpFile);
        return new FileCall(call.Kind, OpenOperation(flags), new FileCallPath(PathText.Decode(path), resolved), OpenFlags: flags);
    }

    private static FileCall? OpenAt2(in SyscallCall call)
    {
        if (ReadPath(call, call.Word(1)) is not { } path)
            return null;
        Span<byte> how = stackalloc byte[OpenHowSize];
        if (call.Word(3) < OpenHowSize || ProcessMemory.TryRead(call.Tid, call.Word(2), how) != 0)
            return null;   // EINVAL or EFAULT
        int flags = (int)BinaryPrimitives.ReadUInt64LittleEndian(how);
        // RESOLVE_IN_ROOT makes dirfd the root: an absolute path starts there.
        if ((BinaryPrimitives.ReadUInt64LittleEndian(how[16..]) & RESOLVE_IN_ROOT) != 0 && path.Length > 0 && path[0] == '/')
            path = path.AsSpan().TrimStart((byte)'/') is { Length: > 0 } rest ? rest.ToArray() : "."u8.ToArray();
        return OpenOf(call, Int(call, 0), path, flags);
    }

    private static FileCall? OnePath(in SyscallCall call, SyscallKind kind, FileOperation operation, int dirFd, ulong pathAddress, bool follow,
        bool emptyPath = false)
    {
        if (ReadPath(call, pathAddress) is not { } path)
            return null;
        return new FileCall(kind, operation, new FileCallPath(PathText.Decode(path), FilePathResolver.Resolve(call.Tid, dirFd, path, follow, emptyPath)));
    }

    // fchmodat2, fchownat, setxattrat, removexattrat: AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH.
    private static FileCall? AtFlags(in SyscallCall call, FileOperation operation, int flags) =>
        OnePath(call, call.Kind, operation, Int(call, 0), call.Word(1), follow: (flags & Libc.AT_SYMLINK_NOFOLLOW) == 0,
            emptyPath: (flags & Libc.AT_EMPTY_PATH) != 0);

    private static FileCall OfDescriptor(in SyscallCall call, FileOperation operation, int fd) =>
        new(call.Kind, operation, new FileCallPath("", FilePathResolver.OfDescriptor(call.Tid, fd)));

    // rename never follows either final component; link follows the old one only with
    // AT_SYMLINK_FOLLOW; the new name is never followed (it is created).
    private static FileCall? TwoPaths(in SyscallCall call, FileOperation operation, int oldDirFd, ulong oldAddress, int newDirFd, ulong newAddress,
        bool followOld, bool emptyOld)
    {
        if (ReadPath(call, oldAddress) is not { } oldPath || ReadPath(call, newAddress) is not { } newPath)
            return null;
        int tid = call.Tid;
        return new FileCall(call.Kind, operation,
            new FileCallPath(PathText.Decode(oldPath), FilePathResolver.Resolve(tid, oldDirFd, oldPath, followOld, emptyOld)),
            new FileCallPath(PathText.Decode(newPath), FilePathResolver.Resolve(tid, newDirFd, newPath, followFinal: false)));
    }

    private static FileCall? Symlink(in SyscallCall call, ulong targetAddress, int dirFd, ulong linkAddress)
    {
        if (ReadPath(call, targetAddress) is not { } target || ReadPath(call, linkAddress) is not { } link)
            return null;
        return new FileCall(call.Kind, FileOperation.Symlink,
            new FileCallPath(PathText.Decode(link), FilePathResolver.Resolve(call.Tid, dirFd, link, followFinal: false)),
            LinkTarget: PathText.Decode(target));
    }
}
