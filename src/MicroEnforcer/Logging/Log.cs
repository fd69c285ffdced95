using Microsoft.Extensions.Logging;

namespace MicroEnforcer;

/// <summary>Every message of the launcher's own log, with stable event ids.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "policy '{Name}' loaded from {Source}: {Controls}")]
    public static partial void PolicyLoaded(ILogger log, string name, string source, string controls);

    [LoggerMessage(2, LogLevel.Information, "baseline: {Executables} executables among {Files} files on the image filesystem, captured in {Milliseconds:F1} ms")]
    public static partial void BaselineCaptured(ILogger log, int executables, int files, double milliseconds);

    [LoggerMessage(3, LogLevel.Information, "baseline: content of {Hashed} executables hashed in {Milliseconds:F0} ms ({Unavailable} changed before they could be hashed)")]
    public static partial void BaselineHashed(ILogger log, int hashed, double milliseconds, int unavailable);

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

    [LoggerMessage(31, LogLevel.Error, "exec by pid {Pid} could not be decided")]
    public static partial void NotifyHandlerFailed(ILogger log, int pid, Exception exception);
}
