using MicroEnforcer.Interop;

namespace MicroEnforcer.Seccomp;

/// <summary>
/// An execve or execveat call as the seccomp notification shows it, decoded for its ABI. The
/// addresses point into the caller's memory and are only read, never trusted (see Tracer).
/// </summary>
internal sealed record ExecRequest(string Syscall, int DirFd, ulong PathAddress, ulong ArgvAddress, int Flags, bool Pointers32)
{
    public static ExecRequest? Decode(in Libc.seccomp_data data)
    {
        (SyscallKind kind, bool pointers32) = SyscallClassifier.Classify(data.arch, unchecked((uint)data.nr));
        ulong a0 = ArgAt(data, 0), a1 = ArgAt(data, 1), a2 = ArgAt(data, 2), a4 = ArgAt(data, 4);
        return kind switch
        {
            SyscallKind.Execve => Execve(a0, a1, pointers32),
            SyscallKind.Execveat => Execveat(a0, a1, a2, a4, pointers32),
            _ => null,
        };
    }

    internal static unsafe ulong ArgAt(in Libc.seccomp_data data, int index)
    {
        fixed (ulong* args = data.args)
            return args[index];
    }

    private static ExecRequest Execve(ulong path, ulong argv, bool pointers32) =>
        new("execve", Libc.AT_FDCWD, path, argv, 0, pointers32);

    // The kernel reads dirfd and flags as 32-bit ints whatever the ABI.
    private static ExecRequest Execveat(ulong dirfd, ulong path, ulong argv, ulong flags, bool pointers32) =>
        new("execveat", unchecked((int)(uint)dirfd), path, argv, unchecked((int)(uint)flags), pointers32);
}
