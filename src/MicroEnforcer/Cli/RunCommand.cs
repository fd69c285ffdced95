using MicroEnforcer.Audit;
using MicroEnforcer.Baseline;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Launcher;
using MicroEnforcer.Policy;
using MicroEnforcer.Procfs;
using MicroEnforcer.Ptrace;
using MicroEnforcer.Seccomp;
using MicroEnforcer.Sessions;
using MicroEnforcer.Supervision;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Cli;

/// <summary>
/// `microenforcer run [--policy FILE] -- CMD [ARGS...]`: the launcher as PID 1. Reads like its
/// table of contents: policy, subreaper, baseline, filter, spawn, supervise, exit.
/// </summary>
internal static class RunCommand
{
    internal sealed record Options(string? PolicyPath, IReadOnlyList<string> Command, bool SignalProcessGroup, LogLevel LogLevel,
        bool ExecSessions = true, int ExecSessionIntervalMs = SessionWatcher.DefaultIntervalMs, bool WatchPolicy = true);

    /// <summary>Disposes the generation running at exit (earlier ones were disposed as reloads replaced them).</summary>
    private sealed class DisposeCurrent(LiveControls controls) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (!_done)
                controls.Current.Dispose();
            _done = true;
        }
    }

    public static int Execute(Options options)
    {
        using ILoggerFactory loggers = LoggerFactory.Create(builder => builder
            .SetMinimumLevel(options.LogLevel)
            .AddProvider(new Logging.StandardErrorLoggerProvider(options.LogLevel)));
        ILogger log = loggers.CreateLogger("microenforcer");

        PolicyFile? file = options.PolicyPath is null ? null : PolicyFile.Read(options.PolicyPath);
        RuntimePolicy? policy = LoadPolicy(options.PolicyPath, file, log);
        if (policy is null || !EntrypointCheck.Accepts(policy, options.Command, log))
            return ExitCodes.BadPolicy;

        BecomeSubreaperUnlessPid1(log);
        ReportCapabilities(log);

        // The launcher's own binary, wherever it lives (a volume in Kubernetes and on Fargate):
        // not drift, and the one program an exec session may exec to join by itself.
        FileSignature? launcher = FileSignature.TryRead("/proc/self/exe", out FileSignature self) == 0 ? self : null;
        // The sinks are set up once, here: a reload that changes spec.audit waits for a restart.
        AuditLog? audit = AuditLog.Start(policy.Audit, Environment.GetEnvironmentVariable, log);
        if (audit is null)
            return ExitCodes.BadPolicy;
        var outcome = new Outcome(audit);
        // The baseline is recorded behind the workload; its start mark is taken now, before the
        // workload exists, so nothing of the container has run yet.
        using BaselineRecording baseline = BaselineRecording.Begin("/");
        if (baseline.Mark.CannotVouchReason is { } reason)
        {
            Log.BaselineBeforeStart(log, reason);
            baseline.RecordBeforeStart(MountTable.ReadMountPoints(), warning => Log.BaselineWarning(log, warning));
        }
        var filter = SeccompFilter.Build(ControlRegistry.FilterRules(policy));

        using var inbox = new NotifyInbox();
        var listeners = new NotificationListeners(inbox, log);
        using var reaper = new Reaper(inbox, log, options.SignalProcessGroup);
        var controls = new LiveControls(new ActiveControls(policy,
            new ControlServices(audit, outcome, baseline, launcher, new ProcessCounter().Count, reaper.ReapNow, log), log));
        using var disposeAtExit = new DisposeCurrent(controls);
        if (controls.Current.LaunchRefusal is { } refusal)
        {
            Log.LaunchRefused(log, refusal);
            return ExitCodes.EnforcementUnavailable;
        }
        // The exit statuses of PID 1's children, which only its waitpid sees, for Forensics if it runs (then or after a reload).
        reaper.ChildExited = (pid, status) => controls.Current.Forensics?.Reaped(pid, status);
        var tracer = new Tracer(controls, outcome, new SessionEnforcement(filter, controls, listeners, outcome, launcher, log));
        var (started, failure, childPid) = WorkloadLauncher.Spawn(RawCommandLine.Tail(options.Command.Count), filter.AsSpan(), controls.Current.Launch,
            newProcessGroup: true);
        reaper.Start(childPid);
        if (started is null)
        {
            Log.EnforcementSetupFailed(log, failure!.StageName, Libc.DescribeErrno(failure.Errno));
            reaper.WorkloadExit.Wait();
            return ExitCodes.EnforcementUnavailable;
        }

        // Before the notify loop starts: the workload waits in its execve's notification, as the launch shim left it.
        ReportLaunched(started.Pid, options.Command[0], controls.Current, log);
        NotificationListener workload = NotificationListeners.Workload(started.ListenerFd);
        new NotifyLoop(workload, new ExecEntryCheck(controls, tracer, outcome), controls, tracer, inbox, baseline, log).Start();
        if (options.ExecSessions)
            new SessionServer(filter, controls, listeners, outcome, policy.Name, log).Start();
        else if (controls.Current.Sessions.Count > 0)
            Log.SessionControlsWithoutSessions(log, string.Join(", ", controls.Current.Sessions.Select(control => control.Name)));
        if (file is not null && options.WatchPolicy)
            new PolicyReloader(file.Path, file.Sha256, controls, inbox, audit, log).Start();
        // Before the exec result is awaited: the entrypoint's own exec may wait for it.
        RecordBaseline(baseline, inbox, log);
        string commandLine = Logging.CommandText.Format(options.Command);
        WorkloadLauncher.Failure? execFailure = WorkloadLauncher.WaitForExec(started);
        if (execFailure is not null)
        {
            if (execFailure.Stage == Shim.StageExec)
                Log.ExecFailed(log, options.Command[0], Libc.DescribeErrno(execFailure.Errno));
            else
                Log.EnforcementSetupFailed(log, execFailure.StageName, Libc.DescribeErrno(execFailure.Errno));
        }
        else
        {
            Log.WorkloadStarted(log, started.Pid, commandLine);
            // Started once the workload carries its filter: until its execve, the launch shim's
            // child has no more filters than PID 1 and would look like a newcomer.
            if (options.ExecSessions)
                StartSessionWatcher(inbox, TimeSpan.FromMilliseconds(options.ExecSessionIntervalMs), log);
        }

        WorkloadExit exit = reaper.WorkloadExit.GetAwaiter().GetResult();
        disposeAtExit.Dispose();   // Fork Guard's last refusals are reported before the exit is
        Log.WorkloadExited(log, exit.ExitCode);
        audit.Flush();   // what the network sinks still hold, within spec.audit.flushTimeout
        return exit.ExitCode;
    }

    /// <summary>
    /// Walks the image behind the workload, then hashes it (see <see cref="BaselineRecording"/>).
    /// Once the baseline is published, the notify loop decides the execs it held for it.
    /// </summary>
    private static void RecordBaseline(BaselineRecording baseline, NotifyInbox inbox, ILogger log)
    {
        baseline.Start(MountTable.ReadMountPoints(),
            warning => Log.BaselineWarning(log, warning),
            failure => Log.BaselineFailed(log, failure),
            recorded =>
            {
                inbox.Post(new NotifyWork.BaselineRecorded());
                if (recorded.ClockSetDuringCapture)
                    Log.BaselineClockSet(log);
                Log.BaselineCaptured(log, recorded.ExecutableCount, recorded.FilesScanned, recorded.CaptureTime.TotalMilliseconds, recorded.ChangedCount, recorded.ByStampsCount);
                ReturnStartupMemory();
            },
            hasher =>
            {
                Log.BaselineHashed(log, hasher.Hashed, hasher.Elapsed.TotalMilliseconds, hasher.Unavailable, hasher.ByStamps);
                ReturnStartupMemory();
            },
            () => inbox.Post(new NotifyWork.BaselineHashed()));
    }

    /// <summary>
    /// The walk and the hashing leave garbage several times the baseline's own size (directory
    /// buffers, path pieces, the list the lookup was built from, read buffers); PID 1 then lives
    /// for the container's lifetime mostly idle, and would keep that memory resident. Once after
    /// the start and once after the hashing, a full compacting collection gives it back to the
    /// system (measured at 100,000 files: see BENCHMARKS.md). It pauses the notify loop for a
    /// few milliseconds, twice in PID 1's life.
    /// </summary>
    private static void ReturnStartupMemory() =>
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    /// <summary>
    /// What the workload execs its command with, as the kernel shows it (under NO_NEW_PRIVS its
    /// command can hold no more), and what the launch controls make of it.
    /// </summary>
    private static void ReportLaunched(int pid, string command, ActiveControls controls, ILogger log)
    {
        if (Capabilities.ReadSets(pid) is { } privileges)
            Log.WorkloadPrivileges(log, pid, command, privileges.ToString());
        controls.Launched(pid, "the workload", command);
    }

    private static void StartSessionWatcher(NotifyInbox inbox, TimeSpan interval, ILogger log)
    {
        if (Libc.GetPid() != 1)
        {
            Log.SessionWatchDisabled(log, "not PID 1 of a pid namespace, so every process on the machine would look like a newcomer");
            return;
        }
        if (!Capabilities.HasEffective(Libc.CAP_SYS_PTRACE))
            Log.SessionsNeedPtrace(log);
        new SessionWatcher((pid, reason, firstSeen) => inbox.Post(new NotifyWork.Newcomer(pid, reason, firstSeen)), interval, log).Start();
    }

    private static RuntimePolicy? LoadPolicy(string? path, PolicyFile? file, ILogger log)
    {
        if (path is null || file is null)
        {
            RuntimePolicy builtIn = ControlRegistry.DefaultPolicy();
            Log.PolicyLoaded(log, builtIn.Name, "built-in default", ControlRegistry.Describe(builtIn));
            return builtIn;
        }
        PolicyLoadResult result = file.Result;
        if (!result.Succeeded)
        {
            PolicyCommands.PrintErrors(result);
            return null;
        }
        RuntimePolicy policy = result.Policy!;
        Log.PolicyLoaded(log, policy.Name, path, ControlRegistry.Describe(policy));
        return policy;
    }

    private static void BecomeSubreaperUnlessPid1(ILogger log)
    {
        int pid = Libc.GetPid();
        if (pid == 1)
            return;
        if (Libc.Prctl(Libc.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
            Log.Subreaper(log, pid);
        else
            Log.SubreaperFailed(log, Libc.DescribeErrno(Libc.LastErrno));
    }

    private static void ReportCapabilities(ILogger log)
    {
        if (Libc.Prctl(Libc.PR_CAPBSET_READ, Libc.CAP_SETPCAP, 0, 0, 0) != 1)
            Log.CannotDropPtrace(log);
        if (!Capabilities.HasEffective(Libc.CAP_SYS_PTRACE))
            Log.NoPtraceCapability(log);
    }
}
