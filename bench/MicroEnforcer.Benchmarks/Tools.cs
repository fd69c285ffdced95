using System.Diagnostics;

namespace MicroEnforcer.Benchmarks;

internal static class Tools
{
    /// <summary>Runs a host tool to completion; its failure is the benchmark's failure.</summary>
    public static string Run(string file, IReadOnlyList<string> args, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new BenchmarkException($"cannot start {file}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BenchmarkException($"cannot run {file}: {e.Message} (make deps installs what the benchmarks need)");
        }
        return Finish(process, timeout ?? TimeSpan.FromMinutes(2), $"{file} {string.Join(' ', args)}");
    }

    /// <summary>
    /// Waits for a started process (its output redirected) and returns its stdout; kills it past
    /// <paramref name="timeout"/>, and throws with its output when it does not exit 0.
    /// </summary>
    public static string Finish(Process process, TimeSpan timeout, string what)
    {
        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new BenchmarkException($"{what} did not finish in {timeout.TotalSeconds:0} s");
            }
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new BenchmarkException($"{what} exited {process.ExitCode}: {stderr.Result.Trim()} {stdout.Result.Trim()}");
            return stdout.Result;
        }
    }

    public static void Require(string tool, string package)
    {
        string? path = Environment.GetEnvironmentVariable("PATH")?.Split(':')
            .Select(dir => Path.Combine(dir, tool)).FirstOrDefault(File.Exists);
        if (path is null)
            throw new BenchmarkException($"'{tool}' is not installed: apt-get install {package} (make deps does it)");
    }
}

internal static class Progress
{
    public static void Say(string message) => Console.Error.WriteLine($"bench: {message}");
}
