using MicroEnforcer.Baseline;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Ptrace;

/// <summary>
/// The script a shebang exec hands to its interpreter, judged at the exec event.
///
/// The kernel's binfmt_script opens the script only to read its "#!" line, starts the interpreter
/// named there, and builds its argv as [interpreter, optional argument, filename, the caller's
/// argv[1..]]; filename is the name the exec was given, or "/dev/fd/N" (also "/dev/fd/N/NAME")
/// for an fd exec. The interpreter then opens the script again by that name. So /proc/PID/exe
/// shows the interpreter, and neither the entry check's file nor the one the kernel read need be
/// the one that runs: another thread can dup2 over fd N, or rename over the path, in between.
///
/// At PTRACE_EVENT_EXEC the new image's argv and fd table are its own (execve killed the other
/// threads and unshared the fd table) and it has not run: fd N is the very file the interpreter
/// will read, and the argv the kernel built cannot change. The exec's filename is the string at
/// AT_EXECFN (the kernel copies it onto the new stack first); an exec ran a script exactly when
/// the filename is one of argv[1..]. That file is then judged like an executable (fileless,
/// drift), and its own "#!" line must give the argv entries before it: otherwise the kernel
/// read another file than the one the interpreter reads (and the interpreter argument, which
/// perl -e or python -c run as code, came from a file nobody judged). Nested interpreters
/// (a script whose interpreter is a script) are followed down to argv[0], each level judged.
///
/// What this cannot do: a path-named script is opened by the interpreter by name after the
/// tracer detached. Judging the file at that name here is decisive against the caller's own
/// threads (they are gone), but a rename by another process between this check and the
/// interpreter's open is not seen. /dev/fd/N names are not affected: the fd is the new image's.
/// </summary>
internal static class ShebangScripts
{
    private const ulong AT_EXECFN = 31;
    private const int BinprmBufSize = 256;   // the kernel reads this much of the script
    private const int MaxNesting = 5;        // binfmt_script recursion stops at 5 levels (ELOOP)
    private const int CmdlineBytes = 16384;  // the kernel-built entries before the filename are shebang lines (< 256 bytes each)

    /// <summary>Finding: what to do about the script(s); Path: the file the finding is about.</summary>
    internal readonly record struct Outcome(ExecDecision Decision, string Path);

    /// <summary>A parsed "#!" line: the interpreter's name and its optional single argument.</summary>
    internal sealed record Shebang(byte[] Interpreter, byte[]? Argument);

    // The tracer runs on one thread: one buffer for the command line.
    private static readonly byte[] s_cmdline = new byte[CmdlineBytes];

    /// <summary>
    /// Null when the process stopped at its exec event was not started by binfmt_script, or every
    /// script in its chain is allowed; otherwise the first finding, or a failure to decide.
    /// </summary>
    public static Outcome? Decide(int pid, string interpreterPath, ExecDecider decider)
    {
        int length = Procfs.ProcFile.Read($"/proc/{pid}/cmdline", s_cmdline);
        if (length < 0)
            return Unreadable("cannot read the command line at the exec event", interpreterPath);
        List<byte[]> argv = SplitArgv(s_cmdline.AsSpan(0, length));
        if (argv.Count < 2)
            return null;   // a script's interpreter gets at least [interpreter, filename]

        if (ReadExecFilename(pid) is not { } filename)
            return Unreadable("cannot read the exec's filename (AT_EXECFN) at the exec event", interpreterPath);
        int index = FindFilename(argv, filename);
        if (index < 0)
            return null;   // not a script: the filename was not handed to the program

        byte[] name = filename;
        for (int depth = 0; depth < MaxNesting; depth++)
        {
            string nameText = PathText.Decode(name);
            int fd = ExecPathResolver.Open(pid, Libc.AT_FDCWD, name, 0);
            if (fd == ExecPathResolver.MagicLink)
                return Unreadable($"the script {nameText} that {interpreterPath} reads is named through a /proc magic link other than its own", nameText);
            if (fd < 0)
                return Unreadable($"the script {nameText} that {interpreterPath} reads cannot be opened: {Libc.DescribeErrno(-fd)}", nameText);
            Shebang? shebang;
            try
            {
                if (ExecPathResolver.Describe(pid, fd, nameText) is not { } script)
                    return Unreadable($"cannot inspect the script {nameText} that {interpreterPath} reads", nameText);
                if (!script.Signature.IsRegularFile)
                    return Unreadable($"the script {nameText} that {interpreterPath} reads is not a regular file (replaced during the exec)", script.CanonicalPath);
                ExecDecision decision = decider.Decide(script with { Role = ExecRole.Script });
                if (decision.Finding is { } finding)
                {
                    return new Outcome(decision with { Finding = finding with { Reason = $"the script {nameText} that {interpreterPath} reads: {finding.Reason}" } },
                        script.CanonicalPath);
                }
                if (NativePath.ReadReopened(fd, BinprmBufSize, out int errno) is not { } head)   // reopened, not re-resolved
                    return Unreadable($"cannot read the script {nameText} that {interpreterPath} reads: {Libc.DescribeErrno(errno)}", script.CanonicalPath);
                shebang = Parse(head);
            }
            finally
            {
                Libc.Close(fd);
            }

            if (shebang is null)
            {
                // The filename is not a script now: a program given its own path as an argument
                // (it is the image itself, judged already), or a script replaced by another file
                // during the exec, which its interpreter will take for a script: judged above.
                return depth == 0 ? null : Mismatch(nameText, interpreterPath, "it has no #! line, yet the kernel ran it as an interpreter");
            }
            int before = index - 1;
            if (shebang.Argument is { } argument)
            {
                if (before < 1 || !argv[before].AsSpan().SequenceEqual(argument))
                    return Mismatch(nameText, interpreterPath, $"its interpreter argument is '{PathText.Decode(argument)}', the kernel passed '{(before >= 1 ? PathText.Decode(argv[before]) : "")}'");
                before--;
            }
            if (before < 0 || !argv[before].AsSpan().SequenceEqual(shebang.Interpreter))
                return Mismatch(nameText, interpreterPath, $"its interpreter is {PathText.Decode(shebang.Interpreter)}, the kernel started {(before >= 0 ? PathText.Decode(argv[before]) : "?")}");
            if (before == 0)
                return null;   // argv[0]: the interpreter the kernel loaded, judged as the image
            name = shebang.Interpreter;   // itself a script, read by the next interpreter down
            index = before;
        }
        return Mismatch(PathText.Decode(name), interpreterPath, "more nested interpreters than the kernel allows");
    }

    /// <summary>The first of argv[1..] equal to the exec's filename, or -1.</summary>
    internal static int FindFilename(List<byte[]> argv, ReadOnlySpan<byte> filename)
    {
        // The kernel puts the filename after at most two entries per nesting level.
        int last = Math.Min(argv.Count - 1, 2 * MaxNesting);
        for (int i = 1; i <= last; i++)
        {
            if (argv[i].AsSpan().SequenceEqual(filename))
                return i;
        }
        return -1;
    }

    /// <summary>The NUL-terminated entries of /proc/PID/cmdline; an unterminated tail (cut off by the buffer) is dropped.</summary>
    internal static List<byte[]> SplitArgv(ReadOnlySpan<byte> cmdline)
    {
        var argv = new List<byte[]>();
        while (cmdline.IndexOf((byte)0) is int nul and >= 0)
        {
            argv.Add(cmdline[..nul].ToArray());
            cmdline = cmdline[(nul + 1)..];
        }
        return argv;
    }

    /// <summary>
    /// The "#!" line as fs/binfmt_script.c reads it from the first 256 bytes: the interpreter
    /// runs to the first space, tab or NUL after the leading blanks, and everything after the
    /// blanks that follow it, to the end of the line less trailing blanks, is one argument (up
    /// to a NUL). Null where the kernel answers ENOEXEC (no "#!", no name, a name cut off).
    /// </summary>
    internal static Shebang? Parse(ReadOnlySpan<byte> head)
    {
        if (head.Length < 2 || head[0] != (byte)'#' || head[1] != (byte)'!')
            return null;
        Span<byte> buf = stackalloc byte[BinprmBufSize];
        buf.Clear();   // a shorter file leaves the kernel's buffer zero-padded
        head[..Math.Min(head.Length, BinprmBufSize)].CopyTo(buf);
        const int BufEnd = BinprmBufSize - 1;

        // strnchr: the newline is looked for up to the first NUL only.
        int nul = buf.IndexOf((byte)0);
        int end = (nul < 0 ? buf : buf[..nul]).IndexOf((byte)'\n');
        if (end < 0)
        {
            int first = NextNonBlank(buf, 2, BufEnd);
            if (first < 0 || NextTerminator(buf, first, BufEnd) < 0)
                return null;   // all blanks, or the interpreter's name is cut off
            end = BufEnd;
        }
        while (IsBlank(buf[end - 1]))
            end--;
        int nameStart = NextNonBlank(buf, 2, end);
        if (nameStart < 0 || nameStart == end)
            return null;
        int separator = NextTerminator(buf, nameStart, end);
        byte[]? argument = null;
        if (separator >= 0 && buf[separator] != 0 && NextNonBlank(buf, separator, end) is int argStart and >= 0)
            argument = UpToNul(buf[argStart..end]);
        return new Shebang(UpToNul(buf[nameStart..(argument is null ? end : separator)]), argument);
    }

    private static bool IsBlank(byte c) => c is (byte)' ' or (byte)'\t';

    // The kernel's next_non_spacetab and next_terminator: both scan up to and including last.
    private static int NextNonBlank(ReadOnlySpan<byte> buf, int from, int last)
    {
        for (int i = from; i <= last; i++)
        {
            if (!IsBlank(buf[i]))
                return i;
        }
        return -1;
    }

    private static int NextTerminator(ReadOnlySpan<byte> buf, int from, int last)
    {
        for (int i = from; i <= last; i++)
        {
            if (IsBlank(buf[i]) || buf[i] == 0)
                return i;
        }
        return -1;
    }

    // copy_string_kernel copies a C string: it ends at the first NUL.
    private static byte[] UpToNul(ReadOnlySpan<byte> s) => (s.IndexOf((byte)0) is int nul and >= 0 ? s[..nul] : s).ToArray();

    private static byte[]? ReadExecFilename(int pid)
    {
        Span<byte> auxv = stackalloc byte[4096];
        int length = Procfs.ProcFile.ReadOnce($"/proc/{pid}/auxv", auxv);
        if (length <= 0 || length == auxv.Length || ElfInterpreter.IsCompat(auxv[..length]) is not bool is32)
            return null;
        if (ElfInterpreter.FindEntry(auxv[..length], is32, AT_EXECFN) is not ulong address)
            return null;
        return Procfs.ProcessMemory.TryReadCBytes(pid, address, Procfs.ProcessMemory.PathMax, out byte[]? filename) == 0 ? filename : null;
    }

    // Not a policy question, like an unreadable image: the process never runs, whatever the mode.
    private static Outcome Unreadable(string reason, string path) =>
        new(new ExecDecision(new ControlFinding(DriftPrevention.ControlName, reason), EnforcementMode.Enforce), path);

    private static Outcome Mismatch(string name, string interpreterPath, string why) =>
        Unreadable($"the script {name} that {interpreterPath} reads is not the one the kernel started (replaced during the exec): {why}", name);
}
