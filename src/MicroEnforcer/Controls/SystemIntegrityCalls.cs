using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using MicroEnforcer.Interop;
using MicroEnforcer.Procfs;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>
/// What a monitored call asks for, in words: its arguments decoded from the registers and from the
/// caller's memory (paths, names, times, the timex modes). Memory is read while the caller waits
/// in the notification; another thread could rewrite it before the kernel reads it, so an event
/// tells what was asked when PID 1 looked (the monitor reports only, and decides nothing on it).
/// Layouts per ABI: i386 passes 32-bit longs, pointers and (except the time64 entries) time_t;
/// x32 has 64-bit time_t and longs in its kernel structures, as x86-64.
/// </summary>
internal static class SystemIntegrityCalls
{
    private const int MaxName = 256;   // hostnames are at most 64 bytes; a longer one is shown, up to this

    // adjtimex modes (linux/timex.h). ADJ_OFFSET_SINGLESHOT | ADJ_OFFSET_READONLY (ADJ_OFFSET_SS_READ)
    // is glibc's adjtime(NULL, &old): a read.
    private const uint ADJ_ADJTIME = 0x8000, ADJ_OFFSET_READONLY = 0x2000;

    /// <summary>The decoded call and the path it names (the mount target, the swap file...), if any.</summary>
    internal readonly record struct Description(string Text, string? Path);

    /// <summary>
    /// Whether an adjtimex or clock_adjtime only reads the clock's state (modes 0, or the
    /// read-only adjtime form): ntp clients and chronyc do that constantly, and it changes nothing.
    /// An unreadable timex counts as a read: the kernel fails the call with EFAULT.
    /// </summary>
    public static bool IsClockRead(in SyscallCall call)
    {
        ulong timex = call.Kind == SyscallKind.Adjtimex ? Word(call, 0) : Word(call, 1);
        Span<byte> modes = stackalloc byte[4];
        if (ProcessMemory.TryRead(call.Tid, timex, modes) != 0)
            return true;
        return IsReadOnly(BinaryPrimitives.ReadUInt32LittleEndian(modes));
    }

    // Exactly ADJ_OFFSET_SS_READ: other bits beside it (ADJ_SETOFFSET) still change the clock.
    internal static bool IsReadOnly(uint modes) => modes == 0 || modes == (ADJ_ADJTIME | 0x0001 | ADJ_OFFSET_READONLY);

    public static Description Describe(in SyscallCall call, string syscall)
    {
        int tid = call.Tid;
        return call.Kind switch
        {
            SyscallKind.SetTimeOfDay => new($"{syscall}(time {TimeVal(call, Word(call, 0))}, timezone {TimeZone(tid, Word(call, 1))})", null),
            SyscallKind.Stime => new($"{syscall}(time {Time32(tid, Word(call, 0))})", null),
            SyscallKind.ClockSettime => new($"{syscall}({Clock(Int(call, 0))}, time {TimeSpec(call, Word(call, 1))})", null),
            SyscallKind.Adjtimex => new($"{syscall}(modes {Modes(tid, Word(call, 0))})", null),
            SyscallKind.ClockAdjtime => new($"{syscall}({Clock(Int(call, 0))}, modes {Modes(tid, Word(call, 1))})", null),
            SyscallKind.SetHostName or SyscallKind.SetDomainName => Name(call, syscall),
            SyscallKind.Mount => Mount(call, syscall),
            SyscallKind.Umount => Umount(call, syscall),
            SyscallKind.PivotRoot => PathCall(call, syscall, $"new root {Quoted(tid, Word(call, 0))}, old root to {Quoted(tid, Word(call, 1))}", 0),
            SyscallKind.MoveMount => new($"{syscall}(from {Dir(tid, Int(call, 0))} {Quoted(tid, Word(call, 1))}, to {Dir(tid, Int(call, 2))} " +
                $"{Quoted(tid, Word(call, 3))}, flags {Hex(Word(call, 4))})", PathAt(tid, Int(call, 2), Word(call, 3))),
            SyscallKind.MountSetattr => new($"{syscall}({Dir(tid, Int(call, 0))} {Quoted(tid, Word(call, 1))}, flags {Hex(Word(call, 2))}, " +
                $"{MountAttr(tid, Word(call, 3))})", PathAt(tid, Int(call, 0), Word(call, 1))),
            SyscallKind.Fsconfig => new($"{syscall}(fd {Fd(tid, Int(call, 0))}, FSCONFIG_CMD_RECONFIGURE: remount)", null),
            SyscallKind.InitModule => new($"{syscall}(image of {Word(call, 1)} bytes, parameters {Quoted(tid, Word(call, 2))})", null),
            SyscallKind.FinitModule => new($"{syscall}(fd {Fd(tid, Int(call, 0))}, parameters {Quoted(tid, Word(call, 1))}, flags {Hex(Word(call, 2))})",
                FdTarget(tid, Int(call, 0))),
            SyscallKind.DeleteModule => new($"{syscall}({Quoted(tid, Word(call, 0))}, flags {Hex(Word(call, 1))})", null),
            SyscallKind.Reboot => new($"{syscall}({Reboot(Word(call, 0), Word(call, 1), (uint)Word(call, 2))})", null),
            SyscallKind.SwapOn => PathCall(call, syscall, $"{Quoted(tid, Word(call, 0))}, flags {Hex(Word(call, 1))}", 0),
            SyscallKind.SwapOff => PathCall(call, syscall, Quoted(tid, Word(call, 0)), 0),
            SyscallKind.Acct => Word(call, 0) == 0 ? new($"{syscall}(NULL: accounting off)", null) : PathCall(call, syscall, Quoted(tid, Word(call, 0)), 0),
            SyscallKind.KexecLoad => new($"{syscall}(entry {Hex(Word(call, 0))}, {Word(call, 1)} segment(s), flags {Hex(Word(call, 3))})", null),
            SyscallKind.KexecFileLoad => new($"{syscall}(kernel fd {Fd(tid, Int(call, 0))}, initrd fd {Fd(tid, Int(call, 1))}, " +
                $"command line {Quoted(tid, Word(call, 3))}, flags {Hex(Word(call, 4))})", FdTarget(tid, Int(call, 0))),
            _ => new($"{syscall}(?)", null),
        };
    }

    private static ulong Word(in SyscallCall call, int index) => call.Word(index);

    private static int Int(in SyscallCall call, int index) => unchecked((int)(uint)call.Arg(index));

    private static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    private static Description Name(in SyscallCall call, string syscall)
    {
        ulong length = Word(call, 1);
        byte[] bytes = new byte[(int)Math.Min(length, MaxName)];
        string name = bytes.Length == 0 || ProcessMemory.TryRead(call.Tid, Word(call, 0), bytes) == 0
            ? Escape(bytes)
            : "(unreadable)";
        return new($"{syscall}({name}, length {length})", null);
    }

    private static Description Mount(in SyscallCall call, string syscall)
    {
        int tid = call.Tid;
        ulong flags = Word(call, 3);
        return new($"{syscall}(source {Quoted(tid, Word(call, 0))}, target {Quoted(tid, Word(call, 1))}, type {Quoted(tid, Word(call, 2))}, " +
            $"flags {MountFlags(flags)})", String(tid, Word(call, 1)));
    }

    private static Description Umount(in SyscallCall call, string syscall)
    {
        int tid = call.Tid;
        // i386's umount(target) has no flags argument.
        string flags = call.Entry == SyscallTable.OldUmount ? "" : $", flags {UmountFlags(Word(call, 1))}";
        return new($"{syscall}({Quoted(tid, Word(call, 0))}{flags})", String(tid, Word(call, 0)));
    }

    private static Description PathCall(in SyscallCall call, string syscall, string arguments, int pathIndex) =>
        new($"{syscall}({arguments})", String(call.Tid, Word(call, pathIndex)));

    private static string? String(int tid, ulong address) =>
        address != 0 && ProcessMemory.TryReadCString(tid, address, ProcessMemory.PathMax, out string? value) == 0 ? value : null;

    private static string Quoted(int tid, ulong address)
    {
        if (address == 0)
            return "NULL";
        return String(tid, address) is { } text ? $"\"{PathText.Display(text)}\"" : "(unreadable)";
    }

    private static string Escape(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder("\"");
        foreach (byte b in bytes)
            text.Append(b is >= 0x20 and < 0x7f and not (byte)'"' and not (byte)'\\' ? (char)b : $"\\x{b:x2}");
        return text.Append('"').ToString();
    }

    /// <summary>A directory fd as the *at calls take it: AT_FDCWD, or the fd and what it is.</summary>
    private static string Dir(int tid, int fd) => fd == Libc.AT_FDCWD ? "cwd" : $"fd {Fd(tid, fd)}";

    private static string Fd(int tid, int fd) => FdTarget(tid, fd) is { } target ? $"{fd} ({PathText.Display(target)})" : fd.ToString(CultureInfo.InvariantCulture);

    private static string? FdTarget(int tid, int fd) => fd >= 0 ? NativePath.ReadLink($"/proc/{tid}/fd/{fd}") : null;

    private static string? PathAt(int tid, int dirFd, ulong path) => String(tid, path) is { Length: > 0 } text ? text : dirFd >= 0 ? FdTarget(tid, dirFd) : null;

    private static string TimeVal(in SyscallCall call, ulong address)
    {
        if (address == 0)
            return "unchanged";
        // struct timeval: two longs (i386: 32-bit each).
        return ReadPair(call.Tid, address, call.IsI386 ? 4 : 8) is { } pair ? Time(pair.Seconds, pair.Fraction, "us") : "(unreadable)";
    }

    private static string TimeSpec(in SyscallCall call, ulong address)
    {
        // struct timespec: i386's clock_settime takes 32-bit fields, clock_settime64 and the others 64-bit ones.
        bool time32 = call.IsI386 && call.Entry == SyscallTable.ClockSettime;
        return ReadPair(call.Tid, address, time32 ? 4 : 8) is { } pair ? Time(pair.Seconds, pair.Fraction, "ns") : "(unreadable)";
    }

    private static string Time32(int tid, ulong address)
    {
        Span<byte> word = stackalloc byte[4];
        return ProcessMemory.TryRead(tid, address, word) == 0 ? Time(BinaryPrimitives.ReadInt32LittleEndian(word), 0, "") : "(unreadable)";
    }

    private static (long Seconds, long Fraction)? ReadPair(int tid, ulong address, int size)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (ProcessMemory.TryRead(tid, address, bytes[..(2 * size)]) != 0)
            return null;
        return size == 4
            ? (BinaryPrimitives.ReadInt32LittleEndian(bytes), BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]))
            : (BinaryPrimitives.ReadInt64LittleEndian(bytes), BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]));
    }

    private static string Time(long seconds, long fraction, string unit)
    {
        string raw = unit.Length == 0 ? $"{seconds}" : $"{seconds} s {fraction} {unit}";
        // The calendar time only where it is one (the kernel refuses the rest with EINVAL).
        return seconds is >= 0 and < 253402300800
            ? $"{DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)} ({raw})"
            : raw;
    }

    private static string TimeZone(int tid, ulong address)
    {
        if (address == 0)
            return "unchanged";
        Span<byte> words = stackalloc byte[8];
        return ProcessMemory.TryRead(tid, address, words) == 0
            ? $"{BinaryPrimitives.ReadInt32LittleEndian(words)} min west, dst {BinaryPrimitives.ReadInt32LittleEndian(words[4..])}"
            : "(unreadable)";
    }

    private static string Clock(int id) => id switch
    {
        0 => "CLOCK_REALTIME",
        1 => "CLOCK_MONOTONIC",
        4 => "CLOCK_MONOTONIC_RAW",
        7 => "CLOCK_BOOTTIME",
        11 => "CLOCK_TAI",
        _ => $"clock {id}",
    };

    private static readonly (uint Bit, string Name)[] s_adjModes =
    [
        (0x0001, "ADJ_OFFSET"), (0x0002, "ADJ_FREQUENCY"), (0x0004, "ADJ_MAXERROR"), (0x0008, "ADJ_ESTERROR"), (0x0010, "ADJ_STATUS"),
        (0x0020, "ADJ_TIMECONST"), (0x0080, "ADJ_TAI"), (0x0100, "ADJ_SETOFFSET"), (0x1000, "ADJ_MICRO"), (0x2000, "ADJ_NANO"),
        (0x4000, "ADJ_TICK"), (0x8000, "ADJ_OFFSET_SINGLESHOT"),
    ];

    private static string Modes(int tid, ulong timex)
    {
        Span<byte> word = stackalloc byte[4];
        if (ProcessMemory.TryRead(tid, timex, word) != 0)
            return "(unreadable)";
        uint modes = BinaryPrimitives.ReadUInt32LittleEndian(word);
        return $"{Hex(modes)} {Names(modes, s_adjModes)}";
    }

    private static readonly (uint Bit, string Name)[] s_mountFlags =
    [
        (0x1, "MS_RDONLY"), (0x2, "MS_NOSUID"), (0x4, "MS_NODEV"), (0x8, "MS_NOEXEC"), (0x10, "MS_SYNCHRONOUS"), (0x20, "MS_REMOUNT"),
        (0x40, "MS_MANDLOCK"), (0x80, "MS_DIRSYNC"), (0x100, "MS_NOSYMFOLLOW"), (0x400, "MS_NOATIME"), (0x800, "MS_NODIRATIME"),
        (0x1000, "MS_BIND"), (0x2000, "MS_MOVE"), (0x4000, "MS_REC"), (0x8000, "MS_SILENT"), (0x10000, "MS_POSIXACL"),
        (0x20000, "MS_UNBINDABLE"), (0x40000, "MS_PRIVATE"), (0x80000, "MS_SLAVE"), (0x100000, "MS_SHARED"), (0x200000, "MS_RELATIME"),
        (0x1000000, "MS_STRICTATIME"), (0x2000000, "MS_LAZYTIME"),
    ];

    // The old magic in the upper half (MS_MGC_VAL) means nothing since Linux 2.4: not shown.
    private static string MountFlags(ulong flags)
    {
        uint value = (uint)flags;
        if ((value & 0xffff0000) == 0xc0ed0000)
            value &= 0xffff;
        return $"{Hex(value)} {Names(value, s_mountFlags)}";
    }

    private static string UmountFlags(ulong flags) =>
        $"{Hex(flags)} {Names((uint)flags, [(1, "MNT_FORCE"), (2, "MNT_DETACH"), (4, "MNT_EXPIRE"), (8, "UMOUNT_NOFOLLOW")])}";

    private static string Names(uint value, (uint Bit, string Name)[] table)
    {
        var names = table.Where(entry => (value & entry.Bit) == entry.Bit).Select(entry => entry.Name).ToList();
        return names.Count == 0 ? "(none)" : $"({string.Join('|', names)})";
    }

    private static string MountAttr(int tid, ulong address)
    {
        // struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd; }
        Span<byte> words = stackalloc byte[24];
        if (ProcessMemory.TryRead(tid, address, words) != 0)
            return "attributes (unreadable)";
        return $"set {Hex(BinaryPrimitives.ReadUInt64LittleEndian(words))}, clear {Hex(BinaryPrimitives.ReadUInt64LittleEndian(words[8..]))}, " +
            $"propagation {Hex(BinaryPrimitives.ReadUInt64LittleEndian(words[16..]))}";
    }

    private static string Reboot(ulong magic1, ulong magic2, uint command)
    {
        // The kernel checks the magic numbers first: with others, nothing is done (EINVAL).
        bool magic = (uint)magic1 == 0xfee1dead && (uint)magic2 is 672274793 or 85072278 or 369367448 or 537993216;
        string name = command switch
        {
            0x01234567 => "LINUX_REBOOT_CMD_RESTART",
            0xCDEF0123 => "LINUX_REBOOT_CMD_HALT",
            0x89ABCDEF => "LINUX_REBOOT_CMD_CAD_ON",
            0x00000000 => "LINUX_REBOOT_CMD_CAD_OFF",
            0x4321FEDC => "LINUX_REBOOT_CMD_POWER_OFF",
            0xA1B2C3D4 => "LINUX_REBOOT_CMD_RESTART2",
            0xD000FCE2 => "LINUX_REBOOT_CMD_SW_SUSPEND",
            0x45584543 => "LINUX_REBOOT_CMD_KEXEC",
            _ => "unknown command",
        };
        return $"{name} {Hex(command)}, {(magic ? "valid magic" : $"invalid magic {Hex((uint)magic1)}/{Hex((uint)magic2)}")}";
    }
}
