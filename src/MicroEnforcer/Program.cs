using System.CommandLine;
using MicroEnforcer.Cli;
using MicroEnforcer.Interop;

namespace MicroEnforcer;

internal static class Program
{
    private static int Main(string[] args)
    {
        ParseResult parsed = CommandLine.Build().Parse(args);
        // Only `run` supervises; every other subcommand gets ordinary signal behaviour back
        // (Native/launch_shim.c blocked the supervised signals before the runtime started).
        if (parsed.CommandResult.Command.Name != "run" || parsed.Errors.Count > 0)
            _ = Shim.UnblockHandledSignals();   // cannot fail for a valid signal set

        int status;
        try
        {
            status = parsed.Invoke(new InvocationConfiguration
            {
                Output = StandardStreams.Out,
                Error = StandardStreams.Error,
                // No Console.CancelKeyPress / PosixSignalRegistration: PID 1 owns its signals.
                ProcessTerminationTimeout = null,
                EnableDefaultExceptionHandler = false,
            });
        }
        catch (Exception e)
        {
            StandardStreams.Error.WriteLine($"microenforcer: internal error: {e}");
            status = ExitCodes.Internal;
        }
        if (parsed.Errors.Count > 0)
            status = ExitCodes.Usage;
        // _exit: the workload is gone, and background threads (notify loop, hasher) must not
        // hold PID 1 up, nor may any runtime shutdown step touch the signals we own.
        Libc.Exit(status);
        return status;
    }
}
