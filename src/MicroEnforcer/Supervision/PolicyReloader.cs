using MicroEnforcer.Audit;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Supervision;

/// <summary>
/// `run --policy FILE` keeps FILE in force while the workload runs: when its content changes
/// (<see cref="PolicyWatcher"/>), the new policy is validated whole; a bad one leaves the running
/// policy in force and is reported with every error. A good one is planned against what runs
/// (<see cref="PolicyChange"/>: what changes live, what waits for a restart), its changed controls
/// are made on this thread, and the notify loop installs the new generation between two of its
/// decisions (<see cref="NotifyWork.InstallControls"/>), so no decision sees half of each policy.
/// Replaced controls are disposed after that (Fork Guard reports its last refusals then).
/// Each reload is one audit event ("policyReload") with the old and new content hashes, and
/// log lines. Everything runs on the watcher's thread, one reload at a time.
///
/// Only a file the workload cannot write is reloaded: otherwise a compromised workload could
/// rewrite its own policy to audit mode and have PID 1 apply it. The file's directory must be on
/// a read-only mount inside the container (ConfigMap, Secret and projected volumes are; so is a
/// `:ro` bind mount), pinned at start by its real path (a symlink among its parents, in a
/// writable place, could be pointed elsewhere later), and each read checks that the descriptor
/// read from is on a read-only mount too (a link inside the directory could lead out of it).
/// A file elsewhere is read once, at start, and the log says why it is not watched.
/// </summary>
internal sealed class PolicyReloader(string path, string? runningHash, LiveControls live, NotifyInbox inbox, AuditLog audit, ILogger log)
{
    public const string ControlName = "policyReload";

    /// <summary>How long the notify loop may take to install a generation before the reload is given up.</summary>
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromSeconds(10);

    private string? _runningHash = runningHash;   // the content the running policy was read from
    private string? _lastSeen = runningHash;      // the last content looked at, applied or not

    private string? _readPath;   // the path through the pinned directory, once watching

    /// <summary>Starts watching, unless the file is one the workload could write (then says why, and returns false).</summary>
    public bool Start()
    {
        string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? "/";
        string? real = RealPath(directory);
        if (real is null || !PolicyFile.OnReadOnlyMount(real))
        {
            Log.PolicyNotWatched(log, path, real is null
                ? $"its directory {directory} cannot be opened"
                : $"its directory {real} is on a writable mount inside the container, so the workload could rewrite its own policy; mount it read-only (a ConfigMap volume is) to have it reloaded");
            return false;
        }
        _readPath = System.IO.Path.Combine(real, System.IO.Path.GetFileName(path));
        new PolicyWatcher(_readPath, Check, log).Start();
        Log.PolicyWatching(log, path);
        return true;
    }

    /// <summary>The directory's path with every link resolved, as the kernel names the directory it opens.</summary>
    private static string? RealPath(string directory)
    {
        int fd = NativePath.Open(directory, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (fd < 0)
            return null;
        try
        {
            return NativePath.ReadLink($"/proc/self/fd/{fd}");
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>Reads the file and reloads if its content is not the one last looked at.</summary>
    internal void Check()
    {
        PolicyFile file = PolicyFile.Read(_readPath ?? path, requireReadOnlyMount: true) with { Path = path };
        string seen = file.Sha256 ?? "unreadable: " + string.Join("; ", file.Result.Errors.Select(e => e.ToString()));
        if (seen == _lastSeen)
            return;
        _lastSeen = seen;
        if (!file.Result.Succeeded)
            Reject(file.Sha256, [.. file.Result.Errors.Select(error => error.ToString())]);
        else if (WritableFilesRead(file.Result.Policy) is { Count: > 0 } writable)
            Reject(file.Sha256, writable);
        else
            Apply(file.Result.Policy, file.Sha256!);
    }

    /// <summary>
    /// The list files the new policy was read with that the workload could have written (not on a
    /// read-only mount, or in a directory that is not): a policy reload must not take them, as it
    /// must not take a writable policy file. At start they are read before the workload runs.
    /// </summary>
    private static IReadOnlyList<string> WritableFilesRead(RuntimePolicy policy) =>
        [.. ControlRegistry.Pair(policy).Where(pair => pair.Policy.Enabled)
            .SelectMany(pair => pair.Definition.FilesRead(pair.Policy).Select(read => (pair.Definition.Name, File: read)))
            .Where(read => !PolicyFile.OnReadOnlyMount(read.File)
                || !PolicyFile.OnReadOnlyMount(System.IO.Path.GetDirectoryName(read.File) ?? "/"))
            .Select(read => $"spec.{read.Name}: the list file {read.File} is on a writable mount inside the container, where the workload "
                + "could have written it; a reloaded policy may only read list files from a read-only mount (the policy's ConfigMap)")];

    private void Apply(RuntimePolicy desired, string hash)
    {
        ActiveControls current = live.Current;
        PolicyChange change = PolicyChange.Plan(current.Policy, current.InstalledRules, desired);
        ActiveControls next;
        try
        {
            next = current.Next(change);
        }
        catch (Exception e)
        {
            Reject(hash, [$"a control could not be made from the new policy: {e.Message}"]);
            return;
        }

        using var installed = new ManualResetEventSlim();
        inbox.Post(new NotifyWork.InstallControls(() => live.Install(next), installed));
        if (!installed.Wait(InstallTimeout))
        {
            // The loop is gone (the workload exited) or stuck: nothing was installed.
            Log.PolicyReloadFailed(log, path, "the notify loop did not take the new policy");
            return;
        }
        foreach (IDisposable replaced in current.ReplacedBy(next).OfType<IDisposable>())
            replaced.Dispose();

        string result = change.Pending.Count > 0 ? "pending-restart"
            : change.Applied.IsEmpty && desired.Name == current.Policy.Name ? "unchanged" : "applied";
        string? oldHash = _runningHash;
        _runningHash = hash;
        Log.PolicyReloaded(log, path, result, oldHash ?? "none", hash, change.AppliedNames.Count == 0 ? "none" : string.Join(", ", change.AppliedNames));
        foreach (string pending in change.Pending)
            Log.PolicyChangePending(log, pending);
        string reason = result switch
        {
            "unchanged" => "the policy file changed, but nothing that runs did",
            "applied" => $"policy reloaded: {(change.AppliedNames.Count == 0 ? "its name" : string.Join(", ", change.AppliedNames))} changed",
            _ => $"policy reloaded{(change.AppliedNames.Count == 0 ? "" : $": {string.Join(", ", change.AppliedNames)} changed")}; "
                + $"{change.Pending.Count} change(s) wait for a restart: {string.Join("; ", change.Pending)}",
        };
        Report(desired.Mode, reason, new PolicyReloadFacts(path, result, oldHash, hash, change.AppliedNames, change.Pending, []));
    }

    private void Reject(string? hash, IReadOnlyList<string> errors)
    {
        Log.PolicyReloadRejected(log, path, errors.Count);
        foreach (string error in errors)
            Log.PolicyReloadError(log, error);
        Report(live.Current.Policy.Mode, $"the new policy was refused, the running one stays in force: {string.Join("; ", errors)}",
            new PolicyReloadFacts(path, "rejected", _runningHash, hash, [], [], errors));
    }

    private void Report(EnforcementMode mode, string reason, PolicyReloadFacts facts) =>
        audit.Write(new AuditEvent(ControlName, AuditAction.Observed, mode.ToPolicyText(), Libc.GetPid(), null, null, path, null, null, reason, "none")
        {
            Reload = facts,
        });
}
