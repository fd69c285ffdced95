using MicroEnforcer.Baseline;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Cli;

/// <summary>
/// The workload's entrypoint, judged before anything is spawned by every control that judges
/// entrypoints (<see cref="ControlDefinition.CheckEntrypoint"/>): a policy that would refuse its
/// own entrypoint is refused at start with the reason, not found out as a workload that exits
/// 126. The command is resolved as the launch shim's execvp resolves it: as given when it has a
/// '/', else the first executable regular file of that name in PATH (glibc's default when PATH
/// is unset). Not found: nothing to judge, and the launch reports it (127).
/// </summary>
internal static class EntrypointCheck
{
    private const string DefaultSearchPath = "/bin:/usr/bin";   // glibc's confstr(_CS_PATH)

    /// <summary>False when an enforcing control refuses the entrypoint (the reason is on stderr); audit-mode objections are logged.</summary>
    public static bool Accepts(RuntimePolicy policy, IReadOnlyList<string> command, ILogger log)
    {
        if (command.Count == 0 || Resolve(command[0], Environment.GetEnvironmentVariable("PATH")) is not { } target)
            return true;
        if (ExecTarget.IsMultiCall(target.CanonicalPath))
            target = target with { Applet = MultiCallApplet.Of(target.CanonicalPath, command) };
        bool accepted = true;
        foreach ((ControlDefinition definition, ControlPolicy control) in ControlRegistry.Pair(policy))
        {
            if (!control.Enabled || definition.CheckEntrypoint(control, target) is not { } finding)
                continue;
            if (control.Mode == EnforcementMode.Enforce)
            {
                StandardStreams.Error.WriteLine($"microenforcer: policy error: the entrypoint '{command[0]}' ({target.CanonicalPath}) is refused by {definition.Name}: {finding.Reason}");
                accepted = false;
            }
            else
            {
                Log.EntrypointWouldBeRefused(log, command[0], target.CanonicalPath, definition.Name, finding.Reason);
            }
        }
        if (!accepted)
            StandardStreams.Error.WriteLine("microenforcer: policy refused: it does not allow its own entrypoint; nothing was started");
        return accepted;
    }

    /// <summary>The file execvp would run for <paramref name="file"/>, or null when there is none.</summary>
    internal static ExecTarget? Resolve(string file, string? searchPath)
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
    private static ExecTarget? Describe(string path)
    {
        int pid = Environment.ProcessId;
        int fd = ExecPathResolver.Open(pid, Libc.AT_FDCWD, PathText.Encode(path), 0);
        if (fd < 0)
            return null;
        try
        {
            return ExecPathResolver.Describe(pid, fd, path) is { Signature: { IsRegularFile: true, IsExecutable: true } } target ? target : null;
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
