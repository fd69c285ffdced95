using MicroEnforcer.Baseline;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Ptrace;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Cli;

/// <summary>
/// The workload's entrypoint, judged before anything is spawned by every control that judges
/// entrypoints (<see cref="ControlDefinition.CheckEntrypoint"/>): a policy that would refuse its
/// own entrypoint is refused at start with the reason, not found out as a workload that exits
/// 126 or is killed. The command is resolved as the launch shim's execvp resolves it: as given
/// when it has a '/', else the first executable regular file of that name in PATH (glibc's
/// default when PATH is unset). A "#!" script's interpreter is judged too, as the exec event
/// will judge it. Not found: nothing to judge, and the launch reports it (127).
/// </summary>
internal static class EntrypointCheck
{
    private const string DefaultSearchPath = "/bin:/usr/bin";   // glibc's confstr(_CS_PATH)
    private const int ShebangBytes = 256;                       // what binfmt_script reads

    /// <summary>False when an enforcing control refuses the entrypoint (the reason is on stderr); audit-mode objections are logged.</summary>
    public static bool Accepts(RuntimePolicy policy, IReadOnlyList<string> command, ILogger log)
    {
        if (command.Count == 0 || Resolve(command[0], Environment.GetEnvironmentVariable("PATH")) is not { } entrypoint)
            return true;
        bool accepted = Judge(policy, WithApplet(entrypoint.Target, command), $"the entrypoint '{command[0]}'", log);
        if (entrypoint.Shebang is { } shebang && Describe(PathText.Decode(shebang.Interpreter)) is { } interpreter)
        {
            // The kernel runs the interpreter with argv [interpreter, its argument if any, the script, ...].
            string[] argv = shebang.Argument is { } argument
                ? [PathText.Decode(shebang.Interpreter), PathText.Decode(argument), command[0]]
                : [PathText.Decode(shebang.Interpreter), command[0]];
            accepted &= Judge(policy, WithApplet(interpreter.Target, argv), $"the interpreter '{argv[0]}' of the entrypoint script '{command[0]}'", log);
        }
        if (!accepted)
            StandardStreams.Error.WriteLine("microenforcer: policy refused: it does not allow its own entrypoint; nothing was started");
        return accepted;
    }

    private static bool Judge(RuntimePolicy policy, ExecTarget target, string what, ILogger log)
    {
        bool accepted = true;
        foreach ((ControlDefinition definition, ControlPolicy control) in ControlRegistry.Pair(policy))
        {
            if (!control.Enabled || definition.CheckEntrypoint(control, target) is not { } finding)
                continue;
            if (control.Mode == EnforcementMode.Enforce)
            {
                StandardStreams.Error.WriteLine($"microenforcer: policy error: {what} ({target.CanonicalPath}) is refused by spec.{definition.Name}: {finding.Reason}");
                accepted = false;
            }
            else
            {
                Log.EntrypointWouldBeRefused(log, what, target.CanonicalPath, definition.Name, finding.Reason);
            }
        }
        return accepted;
    }

    private static ExecTarget WithApplet(ExecTarget target, IReadOnlyList<string> argv) =>
        ExecTarget.IsMultiCall(target.CanonicalPath) ? target with { Applet = MultiCallApplet.Of(target.CanonicalPath, argv) } : target;

    /// <summary>An executable file as an exec of it finds it, and its "#!" line if it is a script.</summary>
    internal sealed record Found(ExecTarget Target, ShebangScripts.Shebang? Shebang);

    /// <summary>The file execvp would run for <paramref name="file"/>, or null when there is none.</summary>
    internal static Found? Resolve(string file, string? searchPath)
    {
        if (file.Length == 0)
            return null;
        if (file.Contains('/', StringComparison.Ordinal))
            return Describe(file);
        foreach (string directory in (searchPath ?? DefaultSearchPath).Split(':'))
        {
            // An empty entry is the working directory, as execvp takes it.
            if (Describe(directory.Length == 0 ? file : $"{directory.TrimEnd('/')}/{file}") is { } found)
                return found;
        }
        return null;
    }

    // An executable regular file at the path, resolved as our own exec would resolve it.
    private static Found? Describe(string path)
    {
        int pid = Environment.ProcessId;
        int fd = ExecPathResolver.Open(pid, Libc.AT_FDCWD, PathText.Encode(path), 0);
        if (fd < 0)
            return null;
        try
        {
            if (ExecPathResolver.Describe(pid, fd, path) is not { Signature: { IsRegularFile: true, IsExecutable: true } } target)
                return null;
            byte[]? head = NativePath.ReadReopened(fd, ShebangBytes, out _);
            return new Found(target, head is null ? null : ShebangScripts.Parse(head));
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
