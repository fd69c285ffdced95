using System.Diagnostics;
using System.Globalization;

namespace MicroEnforcer.Benchmarks;

/// <summary>
/// The outbound benchmark's server (<c>bench/workloads/reply_server.c</c>), running on the host:
/// outside the sandbox and the enforcer, so only the client's side differs between the modes.
/// The sandboxes share the host's network namespace and reach it on 127.0.0.1:<see cref="Port"/>.
/// One is started per measurement and killed after it.
/// </summary>
internal sealed class ReplyServer : IDisposable
{
    private readonly Process _process;

    private ReplyServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Starts <paramref name="program"/> and reads the port it listens on (its first line).</summary>
    public static ReplyServer Start(string program)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        Process process = Process.Start(start) ?? throw new BenchmarkException($"cannot start {program}");
        Task<string?> line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(10)) || !int.TryParse(line.Result, NumberStyles.None, CultureInfo.InvariantCulture, out int port))
        {
            process.Kill();
            process.WaitForExit();
            throw new BenchmarkException($"{program} did not say its port: {process.StandardError.ReadToEnd().Trim()}");
        }
        _ = process.StandardError.ReadToEndAsync();
        return new ReplyServer(process, port);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
    }
}
