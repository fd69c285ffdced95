using System.Buffers.Binary;
using MicroEnforcer.Interop;
using MicroEnforcer.Procfs;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>
/// One chmod, chown, setxattr or removexattr call, decoded from its registers and the caller's
/// memory, read once: which file (a path, resolved from a dirfd or the cwd, following the final
/// symlink or not; or a descriptor) and what change. What the kernel refuses before it looks the
/// path up (bad flags, an xattr name too long, a value too large, an unreadable buffer) is
/// refused here with the same errno (<see cref="Errno"/>), so the answer is the native one.
/// i386 callers: 32-bit pointers (<see cref="SyscallCall.Word"/>), and the 16-bit chown family,
/// whose -1 ("unchanged") is 0xffff.
/// </summary>
internal sealed record AttributeChange
{
    private const uint XATTR_CREATE = 1, XATTR_REPLACE = 2;
    private const int XattrArgsSize = 16;   // struct xattr_args, XATTR_ARGS_SIZE_VER0
    private const int PageSize = 4096;

    public AttributeChangeOperation Operation { get; init; }

    /// <summary>The caller's descriptor the call acts on (fchmod, fchown, fsetxattr, fremovexattr), or null for a path.</summary>
    public int? Fd { get; init; }

    /// <summary>Where a relative path starts: AT_FDCWD or the caller's dirfd.</summary>
    public int DirFd { get; init; } = Libc.AT_FDCWD;

    public byte[] Path { get; init; } = [];

    public bool FollowFinalSymlink { get; init; } = true;

    public bool EmptyPathAllowed { get; init; }

    public uint Mode { get; init; }

    public uint Uid { get; init; }

    public uint Gid { get; init; }

    public byte[] XattrName { get; init; } = [];

    public byte[]? XattrValue { get; init; }

    public uint XattrFlags { get; init; }

    /// <summary>Set when the kernel would refuse the call before looking at the file.</summary>
    public int Errno { get; init; }

    public static AttributeChange Decode(in SyscallCall call)
    {
        int tid = call.Tid;
        switch (call.Kind)
        {
            case SyscallKind.Chmod:
                return WithPath(tid, call.Word(0), new AttributeChange { Operation = AttributeChangeOperation.Mode, Mode = (uint)call.Word(1) });
            case SyscallKind.Fchmod:
                return new AttributeChange { Operation = AttributeChangeOperation.Mode, Fd = Int(call, 0), Mode = (uint)call.Word(1) };
            case SyscallKind.FchmodAt:
                return WithPath(tid, call.Word(1), new AttributeChange { Operation = AttributeChangeOperation.Mode, DirFd = Int(call, 0), Mode = (uint)call.Word(2) });
            case SyscallKind.FchmodAt2:
                return WithAtFlags(tid, call.Word(1), Int(call, 3),
                    new AttributeChange { Operation = AttributeChangeOperation.Mode, DirFd = Int(call, 0), Mode = (uint)call.Word(2) });
            case SyscallKind.Chown or SyscallKind.Lchown:
            {
                (uint uid, uint gid) = Owner(call, 1);
                return WithPath(tid, call.Word(0), new AttributeChange
                {
                    Operation = AttributeChangeOperation.Owner, Uid = uid, Gid = gid, FollowFinalSymlink = call.Kind == SyscallKind.Chown,
                });
            }
            case SyscallKind.Fchown:
            {
                (uint uid, uint gid) = Owner(call, 1);
                return new AttributeChange { Operation = AttributeChangeOperation.Owner, Fd = Int(call, 0), Uid = uid, Gid = gid };
            }
            case SyscallKind.FchownAt:
            {
                (uint uid, uint gid) = Owner(call, 2);
                return WithAtFlags(tid, call.Word(1), Int(call, 4),
                    new AttributeChange { Operation = AttributeChangeOperation.Owner, DirFd = Int(call, 0), Uid = uid, Gid = gid });
            }
            case SyscallKind.SetXattr or SyscallKind.LsetXattr:
                return SetXattr(tid, call.Word(1), call.Word(2), call.Word(3), (uint)call.Word(4),
                    static (tid, change, call) => WithPath(tid, call.Word(0), change with { FollowFinalSymlink = call.Kind == SyscallKind.SetXattr }), call);
            case SyscallKind.FsetXattr:
                return SetXattr(tid, call.Word(1), call.Word(2), call.Word(3), (uint)call.Word(4),
                    static (_, change, call) => change with { Fd = Int(call, 0) }, call);
            case SyscallKind.SetXattrAt:
                return SetXattrAt(call);
            case SyscallKind.RemoveXattr or SyscallKind.LremoveXattr:
            {
                ulong path = call.Word(0);
                bool follow = call.Kind == SyscallKind.RemoveXattr;
                return RemoveXattr(tid, call.Word(1), change => WithPath(tid, path, change with { FollowFinalSymlink = follow }));
            }
            case SyscallKind.FremoveXattr:
            {
                int fd = Int(call, 0);
                return RemoveXattr(tid, call.Word(1), change => change with { Fd = fd });
            }
            case SyscallKind.RemoveXattrAt:
            {
                int dirFd = Int(call, 0), flags = Int(call, 2);
                ulong path = call.Word(1);
                return RemoveXattr(tid, call.Word(3), change => WithAtFlags(tid, path, flags, change with { DirFd = dirFd }));
            }
            default:
                throw new ArgumentException($"not an attribute change: {call.Name}");
        }
    }

    private static int Int(in SyscallCall call, int index) => unchecked((int)(uint)call.Arg(index));

    // i386's chown, lchown and fchown (the first entry point of each) take 16-bit ids.
    private static (uint Uid, uint Gid) Owner(in SyscallCall call, int index)
    {
        uint uid = (uint)call.Word(index), gid = (uint)call.Word(index + 1);
        if (call.IsI386 && call.Entry is { } entry && entry.I386.Length == 2 && call.Nr == entry.I386[0])
            return (Low16(uid), Low16(gid));
        return (uid, gid);
    }

    private static uint Low16(uint id) => (ushort)id == 0xffff ? uint.MaxValue : (ushort)id;

    private static AttributeChange WithPath(int tid, ulong address, AttributeChange change)
    {
        if (change.Errno != 0)
            return change;
        int errno = ProcessMemory.TryReadCBytes(tid, address, ProcessMemory.PathMax, out byte[]? path);
        return errno != 0 ? Refused(errno) : change with { Path = path! };
    }

    // The *at calls with AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH; any other flag is EINVAL before anything.
    private static AttributeChange WithAtFlags(int tid, ulong address, int flags, AttributeChange change)
    {
        if ((flags & ~(Libc.AT_SYMLINK_NOFOLLOW | Libc.AT_EMPTY_PATH)) != 0)
            return Refused(Libc.EINVAL);
        change = change with { FollowFinalSymlink = (flags & Libc.AT_SYMLINK_NOFOLLOW) == 0, EmptyPathAllowed = (flags & Libc.AT_EMPTY_PATH) != 0 };
        // The xattr *at calls take a NULL path with AT_EMPTY_PATH as the empty one.
        if (address == 0 && change.EmptyPathAllowed && change.Operation is AttributeChangeOperation.SetXattr or AttributeChangeOperation.RemoveXattr)
            return change;
        return WithPath(tid, address, change);
    }

    private static AttributeChange SetXattr(int tid, ulong name, ulong value, ulong size, uint flags,
        Func<int, AttributeChange, SyscallCall, AttributeChange> target, in SyscallCall call)
    {
        if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0)
            return Refused(Libc.EINVAL);
        if (ReadName(tid, name, out byte[]? bytes) is int nameErrno and not 0)
            return Refused(nameErrno);
        if (size > Libc.XATTR_SIZE_MAX)
            return Refused(Libc.E2BIG);
        byte[] data = new byte[size];
        if (size > 0 && ProcessMemory.TryRead(tid, value, data) != 0)
            return Refused(Libc.EFAULT);
        return target(tid, new AttributeChange { Operation = AttributeChangeOperation.SetXattr, XattrName = bytes!, XattrValue = data, XattrFlags = flags }, call);
    }

    private static AttributeChange SetXattrAt(in SyscallCall call)
    {
        int tid = call.Tid;
        ulong usize = call.Word(5);
        if (usize > PageSize)
            return Refused(Libc.E2BIG);
        if (usize < XattrArgsSize)
            return Refused(Libc.EINVAL);
        byte[] args = new byte[usize];
        if (ProcessMemory.TryRead(tid, call.Word(4), args) != 0)
            return Refused(Libc.EFAULT);
        if (args.AsSpan(XattrArgsSize).ContainsAnyExcept((byte)0))
            return Refused(Libc.E2BIG);   // copy_struct_from_user: a newer struct's fields this kernel does not know
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(args);
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(args.AsSpan(8)), flags = BinaryPrimitives.ReadUInt32LittleEndian(args.AsSpan(12));
        int dirFd = Int(call, 0), atFlags = Int(call, 2);
        ulong path = call.Word(1);
        if ((atFlags & ~(Libc.AT_SYMLINK_NOFOLLOW | Libc.AT_EMPTY_PATH)) != 0)
            return Refused(Libc.EINVAL);
        return SetXattr(tid, call.Word(3), value, size, flags,
            (tid, change, _) => WithAtFlags(tid, path, atFlags, change with { DirFd = dirFd }), call);
    }

    private static AttributeChange RemoveXattr(int tid, ulong name, Func<AttributeChange, AttributeChange> target)
    {
        if (ReadName(tid, name, out byte[]? bytes) is int errno and not 0)
            return Refused(errno);
        return target(new AttributeChange { Operation = AttributeChangeOperation.RemoveXattr, XattrName = bytes! });
    }

    // An xattr name: 1 to 255 bytes, else ERANGE, as the kernel's strncpy_from_user answers.
    private static int ReadName(int tid, ulong address, out byte[]? name)
    {
        int errno = ProcessMemory.TryReadCBytes(tid, address, Libc.XATTR_NAME_MAX + 1, out name);
        if (errno == Libc.ENAMETOOLONG || (errno == 0 && name!.Length == 0))
            return Libc.ERANGE;
        return errno;
    }

    private static AttributeChange Refused(int errno) => new() { Errno = errno };

}

internal enum AttributeChangeOperation
{
    Mode,
    Owner,
    SetXattr,
    RemoveXattr,
}
