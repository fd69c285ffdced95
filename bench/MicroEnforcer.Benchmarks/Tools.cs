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
        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                throw new BenchmarkException($"{file} did not finish");
            }
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new BenchmarkException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {stderr.Result.Trim()}");
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
