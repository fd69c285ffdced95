using Microsoft.Extensions.Logging;

namespace MicroEnforcer;

/// <summary>Every message of the launcher's own log, with stable event ids.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "policy '{Name}' loaded from {Source}: {Controls}")]
    public static partial void PolicyLoaded(ILogger log, string name, string source, string controls);

    [LoggerMessage(2, LogLevel.Information, "baseline: {Executables} executables among {Files} files on the image filesystem, recorded in {Milliseconds:F1} ms ({Changed} found changed since the workload started, {ByStamps} with only their metadata changed)")]
    public static partial void BaselineCaptured(ILogger log, int executables, int files, double milliseconds, int changed, int byStamps);

    [LoggerMessage(50, LogLevel.Error, "baseline: the system clock was set while the image baseline was being recorded; file change times prove nothing after that, so the walk stopped there and every executable it had not reached is drift")]
    public static partial void BaselineClockSet(ILogger log);

    [LoggerMessage(51, LogLevel.Error, "baseline: recording or hashing the image baseline failed; what it could not record is drift, and a changed file it could not hash is drift")]
    public static partial void BaselineFailed(ILogger log, Exception exception);

    [LoggerMessage(53, LogLevel.Warning, "baseline: pid {Pid} entered the container outside the filter before the image was hashed: it could have set an mtime back, so image executables whose metadata changed before they were hashed are drift from now on")]
    public static partial void ContentStampsRevoked(ILogger log, int pid);

    [LoggerMessage(54, LogLevel.Warning, "{What} ({Path}) would be refused by spec.{Control} in enforce mode: {Reason}; audit mode: it starts")]
    public static partial void EntrypointWouldBeRefused(ILogger log, string what, string path, string control, string reason);

    [LoggerMessage(52, LogLevel.Information, "baseline: recorded before the workload starts: {Reason}")]
    public static partial void BaselineBeforeStart(ILogger log, string reason);

    [LoggerMessage(3, LogLevel.Information, "baseline: content of {Hashed} executables hashed in {Milliseconds:F0} ms ({Unavailable} changed before they could be hashed, {ByStamps} with only their metadata changed first)")]
    public static partial void BaselineHashed(ILogger log, int hashed, double milliseconds, int unavailable, int byStamps);

    [LoggerMessage(4, LogLevel.Warning, "{Message}")]
    public static partial void BaselineWarning(ILogger log, string message);

    [LoggerMessage(5, LogLevel.Information, "not PID 1 (pid {Pid}): registered as child subreaper")]
    public static partial void Subreaper(ILogger log, int pid);

    [LoggerMessage(6, LogLevel.Warning, "not PID 1 and cannot become a child subreaper: {Error}; orphans will not be reaped here")]
    public static partial void SubreaperFailed(ILogger log, string error);

    [LoggerMessage(7, LogLevel.Information, "workload started: pid {Pid}: {Command}")]
    public static partial void WorkloadStarted(ILogger log, int pid, string command);

    [LoggerMessage(8, LogLevel.Information, "workload exited with status {Status}")]
    public static partial void WorkloadExited(ILogger log, int status);

    [LoggerMessage(9, LogLevel.Error, "cannot run {Command}: {Error}")]
    public static partial void ExecFailed(ILogger log, string command, string error);

    [LoggerMessage(10, LogLevel.Error, "cannot start the workload under enforcement ({Stage}): {Error}")]
    public static partial void EnforcementSetupFailed(ILogger log, string stage, string error);

    [LoggerMessage(11, LogLevel.Warning, "no CAP_SETPCAP: CAP_SYS_PTRACE stays in the workload's bounding set")]
    public static partial void CannotDropPtrace(ILogger log);

    [LoggerMessage(12, LogLevel.Warning, "no CAP_SYS_PTRACE: execs of processes running as another user cannot be inspected and are refused in enforce mode")]
    public static partial void NoPtraceCapability(ILogger log);

    [LoggerMessage(20, LogLevel.Critical, "reaper thread failed")]
    public static partial void ReaperFailed(ILogger log, Exception exception);

    [LoggerMessage(23, LogLevel.Error, "tracer: a ptrace step failed")]
    public static partial void TracerFailed(ILogger log, Exception exception);

    [LoggerMessage(21, LogLevel.Debug, "forwarded signal {Signal} to {Target}")]
    public static partial void Forwarded(ILogger log, int signal, int target);

    [LoggerMessage(22, LogLevel.Warning, "cannot forward signal {Signal} to {Target}: {Error}")]
    public static partial void ForwardFailed(ILogger log, int signal, int target, string error);

    [LoggerMessage(30, LogLevel.Error, "seccomp notification loop stopped: {Error}")]
    public static partial void NotifyLoopStopped(ILogger log, string error);

    [LoggerMessage(32, LogLevel.Error, "cannot receive the workload's seccomp notification: {Error}")]
    public static partial void NotifyReceiveFailed(ILogger log, string error);

    [LoggerMessage(31, LogLevel.Error, "exec by pid {Pid} could not be decided")]
    public static partial void NotifyHandlerFailed(ILogger log, int pid, Exception exception);

    [LoggerMessage(40, LogLevel.Information, "exec sessions: processes entering the container from outside are brought under enforcement (checked every {IntervalMs} ms)")]
    public static partial void SessionWatchStarted(ILogger log, int intervalMs);

    [LoggerMessage(41, LogLevel.Warning, "exec sessions are not watched: {Reason}")]
    public static partial void SessionWatchDisabled(ILogger log, string reason);

    [LoggerMessage(42, LogLevel.Information, "exec session: pid {Pid} ({Command}) entered the container ({Reason}) and is traced")]
    public static partial void SessionCaptured(ILogger log, int pid, string command, string reason);

    [LoggerMessage(43, LogLevel.Information, "exec session: pid {Pid} ({Path}) is enforced: filter injected")]
    public static partial void SessionEnforced(ILogger log, int pid, string path);

    [LoggerMessage(44, LogLevel.Warning, "exec session: pid {Pid} stays traced only ({Reason}): its execs are decided once loaded, and refused by killing")]
    public static partial void SessionTracedOnly(ILogger log, int pid, string reason);

    [LoggerMessage(82, LogLevel.Warning, "exec session: the file rule set cannot be carried into sessions seized by ptrace ({Reason}): they are killed before they run")]
    public static partial void SessionRulesetUnavailable(ILogger log, string reason);

    [LoggerMessage(45, LogLevel.Debug, "exec session: {Origin} ended")]
    public static partial void SessionEnded(ILogger log, string origin);

    [LoggerMessage(46, LogLevel.Information, "exec session: pid {Pid} ({Command}) joined enforcement through `microenforcer exec`")]
    public static partial void SessionJoined(ILogger log, int pid, string command);

    [LoggerMessage(47, LogLevel.Warning, "exec session: refused a join request: {Reason}")]
    public static partial void SessionJoinRefused(ILogger log, string reason);

    [LoggerMessage(48, LogLevel.Warning, "exec session server stopped: {Error}; `microenforcer exec` cannot join any more")]
    public static partial void SessionServerStopped(ILogger log, string error);

    [LoggerMessage(49, LogLevel.Warning, "no CAP_SYS_PTRACE (add it: --cap-add SYS_PTRACE): processes entering the container by exec (podman, docker, kubectl exec) cannot be traced or given the filter; in enforce mode they are killed. Sessions started with `microenforcer exec -- CMD` join enforcement by themselves and are not affected")]
    public static partial void SessionsNeedPtrace(ILogger log);

    [LoggerMessage(70, LogLevel.Error, "cannot start the workload under the policy: {Reason}")]
    public static partial void LaunchRefused(ILogger log, string reason);

    [LoggerMessage(71, LogLevel.Information, "workload pid {Pid} execs {Command} with {Privileges}")]
    public static partial void WorkloadPrivileges(ILogger log, int pid, string command, string privileges);

    [LoggerMessage(129, LogLevel.Warning, "{Controls} cannot act: exec sessions are off (--no-exec-sessions), so sessions are neither watched nor refused")]
    public static partial void SessionControlsWithoutSessions(ILogger log, string controls);

    [LoggerMessage(90, LogLevel.Information, "packageBlock: {Found} of {Listed} listed package(s) installed ({Databases}): {Files} of their files found, {Missing} of their listed paths absent from the image")]
    public static partial void PackagesFound(ILogger log, int found, int listed, string databases, int files, int missing);

    [LoggerMessage(91, LogLevel.Warning, "packageBlock: '{Package}' is not installed in the image ({Databases}): nothing of it to block; a package installed later is drift")]
    public static partial void PackageNotInstalled(ILogger log, string package, string databases);

    [LoggerMessage(92, LogLevel.Warning, "packageBlock: '{Package}' is installed but its files are unknown: {Reason}; none of them is blocked")]
    public static partial void PackagePathsUnknown(ILogger log, string package, string reason);

    [LoggerMessage(93, LogLevel.Warning, "packageBlock: the image has an rpm database ({Database}), which the enforcer cannot read (only through rpm's native libraries): packages installed by rpm are not found, so they are not blocked; the control runs in audit mode")]
    public static partial void RpmNotSupported(ILogger log, string database);

    [LoggerMessage(94, LogLevel.Warning, "packageBlock: cannot read the image's package database: {Reason}; nothing is reported")]
    public static partial void PackageDatabaseUnreadable(ILogger log, string reason);

    [LoggerMessage(80, LogLevel.Warning, "{Control}: {Message}")]
    public static partial void ControlWarning(ILogger log, string control, string message);

    [LoggerMessage(81, LogLevel.Information, "{Control}: {Message}")]
    public static partial void ControlPrepared(ILogger log, string control, string message);

    [LoggerMessage(130, LogLevel.Information, "policy: watching {Path}; changes are validated and applied while the workload runs")]
    public static partial void PolicyWatching(ILogger log, string path);

    [LoggerMessage(131, LogLevel.Warning, "policy: {Path} cannot be watched for changes ({Error}); it is read every {Seconds} s instead")]
    public static partial void PolicyWatchDegraded(ILogger log, string path, string error, int seconds);

    [LoggerMessage(132, LogLevel.Information, "policy reloaded from {Path} ({Result}): {OldHash} -> {NewHash}; changed live: {Applied}")]
    public static partial void PolicyReloaded(ILogger log, string path, string result, string oldHash, string newHash, string applied);

    [LoggerMessage(133, LogLevel.Warning, "policy: a change waits for a restart: {Change}")]
    public static partial void PolicyChangePending(ILogger log, string change);

    [LoggerMessage(134, LogLevel.Error, "policy: the changed {Path} was refused ({Count} error(s)); the running policy stays in force")]
    public static partial void PolicyReloadRejected(ILogger log, string path, int count);

    [LoggerMessage(135, LogLevel.Error, "policy: {Error}")]
    public static partial void PolicyReloadError(ILogger log, string error);

    [LoggerMessage(136, LogLevel.Error, "policy: reloading {Path} failed: {Error}")]
    public static partial void PolicyReloadFailed(ILogger log, string path, string error);

    [LoggerMessage(137, LogLevel.Warning, "policy: {Path} is read at start only, not watched for changes: {Reason}")]
    public static partial void PolicyNotWatched(ILogger log, string path, string reason);
}
