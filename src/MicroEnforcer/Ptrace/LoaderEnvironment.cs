using System.Text;
using MicroEnforcer.Baseline;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Ptrace;

/// <summary>
/// Code the dynamic loader runs that no exec names, judged at the exec event.
///
/// An image binary that is dynamically linked runs its ELF interpreter first, and the loader
/// maps and runs whatever libraries its inputs name: LD_PRELOAD (separated by spaces or colons),
/// LD_AUDIT (colons; an audit module's code runs even when the loader only lists), the
/// directories of LD_LIBRARY_PATH (colons or semicolons; an empty entry is the cwd), which come
/// before the image's own RUNPATH and default directories, and /etc/ld.so.preload (spaces, tabs,
/// newlines or colons). At PTRACE_EVENT_EXEC the new image's environment is its own (execve
/// killed the other threads and the new stack is private) and nothing of it has run, so:
///
/// - a library named by a path (it has a '/') must be an image file: judged like an executable
///   by drift prevention, except that it needs no execute bit (<see cref="DriftPrevention.EvaluateLibrary"/>);
///   a name without '/' is searched like a DT_NEEDED name, in directories judged here or the
///   loader's defaults;
/// - a library directory must be an image directory that no name was added to, removed from or
///   renamed in since the start (<see cref="DriftPrevention.EvaluateLibraryDirectory"/>): then
///   the loader can only find there what the image put there. A directory that does not exist
///   is judged by its nearest existing ancestor (nothing can appear under an unchanged one);
/// - a name with a dynamic string token ('$ORIGIN', '$LIB', '$PLATFORM') is not judged: a finding.
///
/// An ELF interpreter run as a program (`ld.so PROG`) opens and runs PROG itself, long after the
/// tracer detached: its path could be renamed over between any check and that open, so such a
/// run is refused when it has a program argument. What runs no code of the program is allowed:
/// glibc's --verify and trace modes (--list, LD_TRACE_LOADED_OBJECTS: `ldd`), musl's --list, and
/// --help, --version, --list-tunables, --list-diagnostics; its own --preload, --audit and
/// --library-path arguments are judged like the variables.
///
/// Only dynamically linked images and loaders run as programs pay for this: one read of
/// /proc/PID/environ and one openat2 of /etc/ld.so.preload in the process's root.
///
/// What this cannot do: names are judged by path, and the loader opens them after the tracer
/// detached, so another process that renames over a judged path (or a symlink along it) between
/// the check and the loader's open is not seen, as for scripts run by path.
/// </summary>
internal static class LoaderEnvironment
{
    private const int EnvironBytes = 65536;
    private const int CmdlineBytes = 16384;
    private const int PreloadFileBytes = 65536;

    /// <summary>Decision: what to do; Path: the file or directory the finding is about.</summary>
    internal readonly record struct Outcome(ExecDecision Decision, string Path);

    // The tracer runs on one thread: one buffer each.
    private static readonly byte[] s_environ = new byte[EnvironBytes];
    // Opened on every dynamically linked exec: one array, not one per exec.
    private static readonly byte[] s_preloadPath = "/etc/ld.so.preload"u8.ToArray();

    private static readonly byte[] s_cmdline = new byte[CmdlineBytes];

    /// <summary>
    /// Null when everything the loader of the stopped process would load by its environment, its
    /// /etc/ld.so.preload and (for a loader run as a program) its arguments is the image's.
    /// </summary>
    public static Outcome? Decide(int pid, string imagePath, ElfImageFacts.LoaderKind loader, DriftPrevention drift)
    {
        byte[] buffer = s_environ;
        int length = Procfs.ProcFile.Read($"/proc/{pid}/environ", buffer);
        if (length == buffer.Length && Procfs.ProcFile.ReadAll($"/proc/{pid}/environ", 2 * EnvironBytes) is { } all)
        {
            buffer = all;
            length = all.Length;
        }
        if (length < 0)
            return Unreadable("cannot read the environment at the exec event", imagePath);

        bool tracing = false;
        ReadOnlySpan<byte> environ = buffer.AsSpan(0, length);
        while (environ.Length > 0)
        {
            int nul = environ.IndexOf((byte)0);
            ReadOnlySpan<byte> entry = nul < 0 ? environ : environ[..nul];
            environ = nul < 0 ? default : environ[(nul + 1)..];
            if (entry.Length < 4 || entry[0] != (byte)'L' || entry[1] != (byte)'D' || entry[2] != (byte)'_')
                continue;   // the common case: one compare per variable
            Outcome? outcome = null;
            if (Value(entry, "LD_PRELOAD="u8) is { } preload)
                outcome = Libraries(pid, "LD_PRELOAD", preload, " :"u8, drift);
            else if (Value(entry, "LD_AUDIT="u8) is { } audit)
                outcome = Libraries(pid, "LD_AUDIT", audit, ":"u8, drift);
            else if (Value(entry, "LD_LIBRARY_PATH="u8) is { } path)
                outcome = Directories(pid, "LD_LIBRARY_PATH", path, drift);
            else if (IsTracingVariable(entry))
                tracing = true;
            if (outcome is not null)
                return outcome;
        }

        if (PreloadFile(pid, drift) is { } fromFile)
            return fromFile;
        return loader == ElfImageFacts.LoaderKind.None ? null : DirectRun(pid, imagePath, loader, tracing, drift);
    }

    // The value of a NAME=value entry, or null for another name.
    private static byte[]? Value(ReadOnlySpan<byte> entry, ReadOnlySpan<byte> nameAndEquals) =>
        entry.StartsWith(nameAndEquals) ? entry[nameAndEquals.Length..].ToArray() : null;

    /// <summary>Each library named in <paramref name="list"/> (split at any of <paramref name="separators"/>).</summary>
    private static Outcome? Libraries(int pid, string source, ReadOnlySpan<byte> list, ReadOnlySpan<byte> separators, DriftPrevention drift)
    {
        foreach (byte[] name in Split(list, separators))
        {
            if (name.AsSpan().IndexOf((byte)'/') < 0 && name.AsSpan().IndexOf((byte)'$') < 0)
                continue;   // searched for like a DT_NEEDED name: in directories judged here, or the loader's own
            if (Library(pid, source, name, drift) is { } outcome)
                return outcome;
        }
        return null;
    }

    private static Outcome? Library(int pid, string source, byte[] name, DriftPrevention drift) =>
        Judge(pid, source, name, drift, "library", "", drift.EvaluateLibrary);

    private static Outcome? Directory(int pid, string source, byte[] name, DriftPrevention drift) =>
        Judge(pid, source, name, drift, "directory", "the directory ", directory => drift.EvaluateLibraryDirectory(directory.CanonicalPath, directory.Signature));

    /// <summary>Opens a library or directory the loader would use, as the process would, and has drift prevention judge it.</summary>
    private static Outcome? Judge(int pid, string source, byte[] name, DriftPrevention drift, string kind, string label,
        Func<ExecTarget, ControlFinding?> evaluate)
    {
        string text = PathText.Decode(name);
        if (!TryOpen(pid, source, name, text, drift, out int fd, out Outcome? ended))
            return ended;
        try
        {
            if (ExecPathResolver.Describe(pid, fd, text) is not { } target)
                return Unreadable($"cannot inspect the {kind} {text} that {source} names", text);
            return evaluate(target) is { } finding
                ? Finding(drift, $"{source} names {label}{target.CanonicalPath}: {finding.Reason}", target.CanonicalPath)
                : null;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private static Outcome? Directories(int pid, string source, ReadOnlySpan<byte> list, DriftPrevention drift)
    {
        foreach (byte[] entry in Split(list, ":;"u8, keepEmpty: true))
        {
            if (Directory(pid, source, entry.Length == 0 ? "."u8.ToArray() : entry, drift) is { } outcome)
                return outcome;
        }
        return null;
    }

    /// <summary>
    /// Opens a name the loader would open, resolved as the process would resolve it. False when
    /// the judgement ends there, with its outcome (null: allowed): a dynamic string token, a magic
    /// link, an error, or a missing name (the loader skips it: what matters is whether one can
    /// appear there, <see cref="MissingUnder"/>).
    /// </summary>
    private static bool TryOpen(int pid, string source, byte[] name, string text, DriftPrevention drift, out int fd, out Outcome? ended)
    {
        ended = null;
        fd = -1;
        if (name.AsSpan().IndexOf((byte)'$') >= 0)
        {
            ended = Finding(drift, $"{source} names {text}, with a dynamic string token the enforcer does not expand", text);
            return false;
        }
        fd = ExecPathResolver.Open(pid, Libc.AT_FDCWD, name, 0);
        if (fd == ExecPathResolver.MagicLink)
            ended = Finding(drift, $"{source} names {text}, through a /proc magic link other than the process's own", text);
        else if (fd == -Libc.ENOENT)
            ended = MissingUnder(pid, source, text, drift);
        else if (fd < 0)
            ended = Finding(drift, $"{source} names {text}, which cannot be opened: {Libc.DescribeErrno(-fd)}", text);
        return fd >= 0;
    }

    /// <summary>A name that does not exist: its nearest existing ancestor must be an unchanged image directory.</summary>
    private static Outcome? MissingUnder(int pid, string source, string missing, DriftPrevention drift)
    {
        string path = missing.TrimEnd('/');
        while (true)
        {
            int slash = path.LastIndexOf('/');
            path = slash < 0 ? "." : slash == 0 ? "/" : path[..slash];
            int fd = ExecPathResolver.Open(pid, Libc.AT_FDCWD, PathText.Encode(path), 0);
            if (fd == -Libc.ENOENT && path is not ("/" or "."))
                continue;
            if (fd < 0)
                return Finding(drift, $"{source} names {missing}, which does not exist, and its parent {path} cannot be opened: {(fd == ExecPathResolver.MagicLink ? "a /proc magic link" : Libc.DescribeErrno(-fd))}", missing);
            try
            {
                if (ExecPathResolver.Describe(pid, fd, path) is not { } directory)
                    return Unreadable($"cannot inspect {path}, the nearest existing directory of {missing} that {source} names", missing);
                return drift.EvaluateLibraryDirectory(directory.CanonicalPath, directory.Signature) is { } finding
                    ? Finding(drift, $"{source} names {missing}, which does not exist, under {directory.CanonicalPath}: {finding.Reason}", missing)
                    : null;
            }
            finally
            {
                Libc.Close(fd);
            }
        }
    }

    /// <summary>/etc/ld.so.preload in the process's root: when it exists, every library it names is judged like LD_PRELOAD's.</summary>
    private static Outcome? PreloadFile(int pid, DriftPrevention drift)
    {
        const string Name = "/etc/ld.so.preload";
        int fd = ExecPathResolver.Open(pid, Libc.AT_FDCWD, s_preloadPath, 0);
        if (fd == -Libc.ENOENT)
            return null;   // the usual case: one failed lookup
        if (fd < 0)
            return Finding(drift, $"{Name} cannot be opened: {(fd == ExecPathResolver.MagicLink ? "a /proc magic link" : Libc.DescribeErrno(-fd))}", Name);
        byte[]? content;
        int errno;
        try
        {
            content = NativePath.ReadReopened(fd, PreloadFileBytes, out errno);
        }
        finally
        {
            Libc.Close(fd);
        }
        if (content is null)
            return Finding(drift, $"{Name} cannot be read: {Libc.DescribeErrno(errno)}", Name);
        if (content.Length >= PreloadFileBytes)
            return Finding(drift, $"{Name} is larger than {PreloadFileBytes} bytes", Name);
        return Libraries(pid, Name, content, " \t\n:"u8, drift);
    }

    /// <summary>
    /// An ELF interpreter run as a program: refused when it would run a program, allowed when it
    /// only prints or lists (no code of the program runs), with its own library arguments judged.
    /// </summary>
    private static Outcome? DirectRun(int pid, string imagePath, ElfImageFacts.LoaderKind loader, bool tracing, DriftPrevention drift)
    {
        int length = Procfs.ProcFile.Read($"/proc/{pid}/cmdline", s_cmdline);
        if (length < 0)
            return Unreadable("cannot read the command line at the exec event", imagePath);
        DirectRunArguments run = ParseDirectRun(ShebangScripts.SplitArgv(s_cmdline.AsSpan(0, length)), loader, tracing);
        foreach ((string option, byte[] value) in run.Libraries)
        {
            Outcome? outcome = option switch
            {
                "--preload" => Libraries(pid, option, value, " :"u8, drift),
                "--audit" => Libraries(pid, option, value, ":"u8, drift),
                _ => Directories(pid, option, value, drift),
            };
            if (outcome is not null)
                return outcome;
        }
        if (run.Program is not { } program)
            return null;
        string text = PathText.Decode(program);
        return Finding(drift,
            $"the ELF interpreter {imagePath} run directly with a program argument ({text}): the loader opens and runs it after every check, so direct loader runs are refused (its --list and --verify modes, as ldd uses them, are allowed)",
            text);
    }

    /// <summary>
    /// The program an ELF interpreter run as a program (the stopped process's image) will open and
    /// run, or null when it runs none (--list, --verify, LD_TRACE_LOADED_OBJECTS, --help...).
    /// Unreadable arguments are taken as a program ("?"): nobody can say it runs none.
    /// </summary>
    public static string? DirectRunProgram(int pid, ElfImageFacts.LoaderKind loader)
    {
        byte[]? environ = Procfs.ProcFile.ReadAll($"/proc/{pid}/environ", 2 * EnvironBytes);
        int length = Procfs.ProcFile.Read($"/proc/{pid}/cmdline", s_cmdline);
        if (environ is null || length < 0)
            return "?";
        bool tracing = false;
        foreach (byte[] entry in Split(environ, "\0"u8))
            tracing |= IsTracingVariable(entry);
        DirectRunArguments run = ParseDirectRun(ShebangScripts.SplitArgv(s_cmdline.AsSpan(0, length)), loader, tracing);
        return run.Program is { } program ? PathText.Decode(program) : null;
    }

    private static bool IsTracingVariable(ReadOnlySpan<byte> entry) =>
        Value(entry, "LD_TRACE_LOADED_OBJECTS="u8) is not null || Value(entry, "LD_TRACE_PRELINKING="u8) is not null;

    /// <summary>A loader's own command line: its library options, and the program it runs (null: none).</summary>
    internal sealed record DirectRunArguments(byte[]? Program, List<(string Option, byte[] Value)> Libraries);

    internal static DirectRunArguments ParseDirectRun(List<byte[]> argv, ElfImageFacts.LoaderKind loader, bool tracing)
    {
        bool glibc = loader == ElfImageFacts.LoaderKind.Glibc;
        tracing &= glibc;   // musl's loader does not read LD_TRACE_LOADED_OBJECTS
        bool runsNothing = false;
        byte[]? program = null;
        var libraries = new List<(string, byte[])>();
        for (int i = 1; i < argv.Count; i++)
        {
            string option = Encoding.Latin1.GetString(argv[i]);
            bool hasValue = i + 1 < argv.Count;
            switch (option)
            {
                case "--list":
                    tracing = true;
                    continue;
                case "--verify" when glibc:
                    tracing = true;
                    continue;
                case "--help" or "--version" or "--list-tunables" or "--list-diagnostics" when glibc:
                    runsNothing = true;
                    continue;
                case "--inhibit-cache" when glibc:
                    continue;
                case "--preload" when hasValue:
                case "--audit" when hasValue && glibc:
                case "--library-path" when hasValue:
                    libraries.Add((option, argv[++i]));
                    continue;
                case "--argv0" when hasValue:
                    i++;
                    continue;
                case "--inhibit-rpath" or "--glibc-hwcaps-prefer" or "--glibc-hwcaps-mask" when hasValue && glibc:
                    i++;
                    continue;
            }
            program = argv[i];
            break;
        }
        return new DirectRunArguments(runsNothing || tracing ? null : program, libraries);
    }

    /// <summary>The non-empty entries of a list (also the empty ones, for LD_LIBRARY_PATH, where they mean the cwd).</summary>
    internal static List<byte[]> Split(ReadOnlySpan<byte> list, ReadOnlySpan<byte> separators, bool keepEmpty = false)
    {
        var entries = new List<byte[]>();
        if (list.Length == 0)
            return entries;
        while (true)
        {
            int end = list.IndexOfAny(separators);
            ReadOnlySpan<byte> entry = end < 0 ? list : list[..end];
            if (entry.Length > 0 || keepEmpty)
                entries.Add(entry.ToArray());
            if (end < 0)
                return entries;
            list = list[(end + 1)..];
        }
    }

    private static Outcome Finding(DriftPrevention drift, string reason, string path) =>
        new(new ExecDecision(new ControlFinding(DriftPrevention.ControlName, reason), drift.Mode), path);

    // Not a policy question, like an unreadable image: the process never runs, whatever the mode.
    private static Outcome Unreadable(string reason, string path) =>
        new(new ExecDecision(new ControlFinding(DriftPrevention.ControlName, reason), EnforcementMode.Enforce), path);
}
