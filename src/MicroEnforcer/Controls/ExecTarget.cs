using MicroEnforcer.Baseline;

namespace MicroEnforcer.Controls;

/// <summary>
/// The file an exec runs, resolved in PID 1's view of the filesystem.
/// </summary>
/// <param name="Pid">The task that execs (its thread id at entry, its process id once loaded).</param>
/// <param name="CanonicalPath">The file's path with every symlink resolved, as the baseline keys it.</param>
/// <param name="Signature">statx of the very file object that is (or will be) executed.</param>
/// <param name="ContentPath">A path that opens that same file object for reading (a /proc magic link).</param>
/// <param name="InvokedName">The name the program runs under: the last component of the path the
/// caller passed (what the kernel puts in comm), e.g. "sh" for busybox run as /bin/sh.</param>
internal sealed record ExecTarget(int Pid, string CanonicalPath, FileSignature Signature, string ContentPath, string InvokedName)
{
    /// <summary>What the file is to the exec: the program, the script its interpreter reads, or the ELF interpreter the kernel mapped.</summary>
    public ExecRole Role { get; init; } = ExecRole.Program;

    /// <summary>
    /// For a multi-call binary (busybox, toybox): the applet its argv selects (<see cref="MultiCallApplet"/>);
    /// null for any other file, or when the argv could not be read.
    /// </summary>
    public string? Applet { get; init; }

    /// <summary>
    /// For an ELF interpreter run as a program (<c>ld.so PROG</c>), at the exec event: the program
    /// argument it will open and run itself, after every check; null otherwise.
    /// </summary>
    public string? LoaderProgram { get; init; }

    public static string LastComponent(string path) => path[(path.LastIndexOf('/') + 1)..];

    /// <summary>A multi-call binary (busybox, toybox) runs the applet its argv[0] names.</summary>
    public static bool IsMultiCall(string executablePath) =>
        executablePath.AsSpan(executablePath.LastIndexOf('/') + 1) is "busybox" or "toybox";   // on every exec: no substring

    /// <summary>The name interpreter rules apply to: a multi-call binary's applet, else the file's own name.</summary>
    public static string ProgramName(string executablePath, string invokedName) =>
        IsMultiCall(executablePath) ? invokedName : LastComponent(executablePath);
}
