using System.CommandLine;
using System.Reflection;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Cli;

/// <summary>The command tree. Each action returns its exit status (see <see cref="ExitCodes"/>).</summary>
internal static class CommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand(
            "MicroEnforcer: a PID 1 launcher that blocks drifted executables inside a container.");
        root.Subcommands.Add(BuildRun());
        root.Subcommands.Add(BuildExec());
        root.Subcommands.Add(BuildPolicy());
        root.Subcommands.Add(BuildVersion());
        root.Subcommands.Add(BuildInstall());
        return root;
    }

    private static Command BuildRun()
    {
        var policy = new Option<string?>("--policy", "-p")
        {
            Description = "Runtime policy file (YAML or JSON). Without it the built-in default applies (see `policy default`). The file is watched: a changed policy is validated and applied while the workload runs (see --no-policy-reload).",
            HelpName = "FILE",
        };
        var processGroup = new Option<bool>("--process-group", "-g")
        {
            Description = "Forward signals to the workload's whole process group instead of its main process only.",
        };
        var logLevel = new Option<LogLevel>("--log-level")
        {
            Description = "Launcher log level (audit events are always written).",
            DefaultValueFactory = _ => LogLevelFromEnvironment(),
        };
        var noExecSessions = new Option<bool>("--no-exec-sessions")
        {
            Description = "Do not watch for processes entering the container from outside (podman/kubectl exec) and do not serve `microenforcer exec`. Such processes then run unenforced.",
        };
        var noPolicyReload = new Option<bool>("--no-policy-reload")
        {
            Description = "Read the policy file once, at start: changes to it take effect at the next start only.",
        };
        var sessionInterval = new Option<int>("--exec-session-interval")
        {
            Description = "How often (milliseconds, 1-1000) PID 1 looks for processes entering the container from outside. Lower closes the window before they are traced faster and costs more idle CPU.",
            HelpName = "MS",
            DefaultValueFactory = _ => Sessions.SessionWatcher.DefaultIntervalMs,
        };
        sessionInterval.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 1000)
                result.AddError("--exec-session-interval must be between 1 and 1000 milliseconds");
        });
        var command = new Argument<string[]>("command")
        {
            Description = "The workload's command and arguments, after `--`.",
            Arity = ArgumentArity.OneOrMore,
        };
        var run = new Command("run", "Capture the image baseline and run CMD as the enforced workload (normally as PID 1).")
        {
            policy, processGroup, logLevel, noExecSessions, sessionInterval, noPolicyReload, command,
        };
        run.SetAction(result => RunCommand.Execute(new RunCommand.Options(
            result.GetValue(policy),
            result.GetValue(command)!,
            result.GetValue(processGroup),
            result.GetValue(logLevel),
            ExecSessions: !result.GetValue(noExecSessions),
            ExecSessionIntervalMs: result.GetValue(sessionInterval),
            WatchPolicy: !result.GetValue(noPolicyReload))));
        return run;
    }

    private static Command BuildExec()
    {
        var command = new Argument<string[]>("command")
        {
            Description = "The command to run in the container, after `--`.",
            Arity = ArgumentArity.OneOrMore,
        };
        var exec = new Command("exec",
            "Run CMD in a running container under the enforcement of its PID 1 (`microenforcer run`), joined before CMD starts. " +
            "For `kubectl exec`/`podman exec`: `microenforcer exec -- sh`. Fails (status 71) rather than run CMD unenforced.")
        {
            command,
        };
        exec.SetAction(result => ExecCommand.Execute(result.GetValue(command)!));
        return exec;
    }

    private static Command BuildPolicy()
    {
        var file = new Argument<string>("file") { Description = "Policy file (YAML or JSON)." };
        var validate = new Command("validate", "Check a policy file; print every error with its line and reason.") { file };
        validate.SetAction(result => PolicyCommands.Validate(result.GetValue(file)!));

        var defaults = new Command("default", "Print the built-in policy.");
        defaults.SetAction(_ => PolicyCommands.PrintDefault());

        return new Command("policy", "Work with runtime policy files.") { validate, defaults };
    }

    private static Command BuildVersion()
    {
        var version = new Command("version", "Print the version.");
        version.SetAction(_ =>
        {
            string v = typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            StandardStreams.Out.WriteLine($"microenforcer {v}");
            return ExitCodes.Success;
        });
        return version;
    }

    private static Command BuildInstall()
    {
        var directory = new Argument<string>("directory") { Description = "Where to copy the binary and its policy (an emptyDir shared with the app containers)." };
        var install = new Command("install", "Copy this binary and its policy into DIRECTORY (the Kubernetes injector's init container runs this).") { directory };
        install.SetAction(result => InstallCommand.Execute(result.GetValue(directory)!));
        return install;
    }

    private static LogLevel LogLevelFromEnvironment() =>
        Enum.TryParse(Environment.GetEnvironmentVariable("MICROENFORCER_LOG_LEVEL"), ignoreCase: true, out LogLevel level)
            ? level
            : LogLevel.Information;
}
