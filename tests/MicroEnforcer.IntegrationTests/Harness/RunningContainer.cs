using System.Diagnostics;
using System.Text;

namespace MicroEnforcer.IntegrationTests.Harness;

/// <summary>
/// A container left running in the background, so that processes can enter it from outside the
/// way `podman exec` (runc exec) does: nsenter joins its pid, mount and network namespaces and
/// root, and forks, so the entered process has a parent outside the container (PPid 0).
/// </summary>
internal sealed class RunningContainer : IDisposable
{
    private readonly Process _unshare;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly string _dir;

    private RunningContainer(Process unshare, string dir)
    {
        _unshare = unshare;
        _dir = dir;
        unshare.OutputDataReceived += (_, e) => { lock (_stdout) _stdout.AppendLine(e.Data); };
        unshare.ErrorDataReceived += (_, e) => { lock (_stderr) _stderr.AppendLine(e.Data); };
        unshare.BeginOutputReadLine();
        unshare.BeginErrorReadLine();
    }

    /// <summary>The container's PID 1, as a pid of the host.</summary>
    public int Pid1 { get; private set; }

    public string Stderr
    {
        get
        {
            lock (_stderr)
                return _stderr.ToString();
        }
    }

    /// <summary>
    /// Starts `microenforcer run [--policy] [options] -- command` as PID 1 and returns once its log says
    /// <paramref name="readyLine"/> (by default: the session watcher is running).
    /// </summary>
    /// <param name="policy">The policy's text, given to PID 1 with --policy.</param>
    /// <param name="pid1Wrapper">A host command PID 1 is exec'd through (see <see cref="Container.RunRaw"/>).</param>
    /// <param name="hostNetwork">Keep the host's network namespace (see <see cref="Container.RunRaw"/>).</param>
    /// <param name="readOnlyVolume">A host directory mounted read-only at a path in the container (as a ConfigMap volume is).</param>
    public static RunningContainer Start(string[] command, string[]? runOptions = null, ImageRootfs? image = null,
        string readyLine = "exec sessions:", string? policy = null, string pid1Wrapper = "", bool hostNetwork = false,
        Action<string>? prepareLayer = null, (string HostDirectory, string Target)? readOnlyVolume = null)
    {
        string[] withPolicy = policy is null ? [] : ["--policy", Container.PolicyPathInContainer];
        string[] pid1 = ["/.microenforcer/microenforcer", "run", .. withPolicy, .. runOptions ?? [], "--", .. command];
        RunningContainer container = StartRaw(pid1, image, policy, pid1Wrapper, hostNetwork, prepareLayer, readOnlyVolume);
        container.WaitForLog(readyLine);
        return container;
    }

    /// <summary>Starts any command as PID 1 (for runs without the enforcer).</summary>
    public static RunningContainer StartRaw(string[] pid1Command, ImageRootfs? image = null, string? policy = null,
        string pid1Wrapper = "", bool hostNetwork = false, Action<string>? prepareLayer = null,
        (string HostDirectory, string Target)? readOnlyVolume = null)
    {
        image ??= ImageRootfs.Shared;
        string dir = Directory.CreateTempSubdirectory("microenforcer-rc-").FullName;
        string upper = Path.Combine(dir, "upper"), work = Path.Combine(dir, "work"), merged = Path.Combine(dir, "merged");
        Directory.CreateDirectory(upper);
        Directory.CreateDirectory(work);
        Directory.CreateDirectory(merged);
        if (policy is not null)
        {
            Directory.CreateDirectory(Path.Combine(upper, "etc/microenforcer"));
            File.WriteAllText(Path.Combine(upper, Container.PolicyPathInContainer.TrimStart('/')), policy);
        }
        prepareLayer?.Invoke(upper);
        var info = new ProcessStartInfo("unshare")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in (string[])[.. Container.UnshareArguments(hostNetwork), .. pid1Command])
            info.ArgumentList.Add(arg);
        info.Environment["ME_LOWER"] = image.Path;
        info.Environment["ME_UPPER"] = upper;
        info.Environment["ME_WORK"] = work;
        info.Environment["ME_MERGED"] = merged;
        info.Environment["ME_PID1_WRAPPER"] = pid1Wrapper;
        info.Environment["ME_RO_VOLUME"] = readOnlyVolume?.HostDirectory ?? "";
        info.Environment["ME_RO_TARGET"] = readOnlyVolume?.Target ?? "";
        info.Environment["PATH"] = "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        Process unshare = Process.Start(info) ?? throw new InvalidOperationException("cannot start unshare");
        unshare.StandardInput.Close();
        var container = new RunningContainer(unshare, dir);
        container.Pid1 = container.FindPid1(pid1Command[0]);
        return container;
    }

    /// <summary>A path inside the running container, as the host reaches it (through PID 1's root: its mounts, so inotify in the container sees the writes).</summary>
    public string HostPath(string pathInContainer) => $"/proc/{Pid1}/root{pathInContainer}";

    /// <summary>Runs a command inside the running container, entering it from outside.</summary>
    public ProcessRunner.Result Enter(params string[] command) =>
        ProcessRunner.Run("nsenter", ["--target", Pid1.ToString(), "--pid", "--mount", "--net", "--root", "--wd", "--", .. command],
            TimeSpan.FromSeconds(60));

    public void WaitForLog(string text, int timeoutMs = 20_000)
    {
        var clock = Stopwatch.StartNew();
        while (!Stderr.Contains(text, StringComparison.Ordinal))
        {
            if (clock.ElapsedMilliseconds > timeoutMs || _unshare.HasExited)
                throw new TimeoutException($"the container never logged '{text}'; stderr so far:\n{Stderr}");
            Thread.Sleep(20);
        }
    }

    public string Stdout
    {
        get
        {
            lock (_stdout)
                return _stdout.ToString();
        }
    }

    /// <summary>Waits until the workload's output has <paramref name="text"/> (a step it reached).</summary>
    public void WaitForStdout(string text, int timeoutMs = 60_000)
    {
        var clock = Stopwatch.StartNew();
        while (!Stdout.Contains(text, StringComparison.Ordinal))
        {
            if (clock.ElapsedMilliseconds > timeoutMs || _unshare.HasExited)
                throw new TimeoutException($"the workload never printed '{text}'; stdout so far:\n{Stdout}\nstderr:\n{Stderr}");
            Thread.Sleep(20);
        }
    }

    public bool HasExited => _unshare.HasExited;

    /// <summary>Waits for PID 1 to end by itself (its workload ended) and returns its run.</summary>
    public RunResult WaitForExit(TimeSpan timeout)
    {
        if (!_unshare.WaitForExit(timeout))
            throw new TimeoutException($"the container did not end within {timeout.TotalSeconds} s; stdout:\n{Stdout}\nstderr:\n{Stderr}");
        _unshare.WaitForExit();
        lock (_stdout)
            return new RunResult(_unshare.ExitCode, _stdout.ToString(), Stderr);
    }

    /// <summary>Stops the container (SIGTERM to PID 1, forwarded to the workload) and returns its run.</summary>
    public RunResult Stop()
    {
        if (!_unshare.HasExited)
        {
            ProcessRunner.Run("kill", ["-TERM", Pid1.ToString()], TimeSpan.FromSeconds(10));
            if (!_unshare.WaitForExit(20_000))
                _unshare.Kill(entireProcessTree: true);
        }
        _unshare.WaitForExit();
        lock (_stdout)
            return new RunResult(_unshare.ExitCode, _stdout.ToString(), Stderr);
    }

    private int FindPid1(string pid1Executable)
    {
        var clock = Stopwatch.StartNew();
        string name = Path.GetFileName(pid1Executable);
        while (clock.ElapsedMilliseconds < 20_000)
        {
            string children = $"/proc/{_unshare.Id}/task/{_unshare.Id}/children";
            if (File.Exists(children) && File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var first, ..])
            {
                int pid = int.Parse(first, System.Globalization.CultureInfo.InvariantCulture);
                try
                {
                    if (Path.GetFileName(File.ResolveLinkTarget($"/proc/{pid}/exe", false)?.FullName ?? "") == name)
                        return pid;
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
            if (_unshare.HasExited)
                break;
            Thread.Sleep(10);
        }
        throw new InvalidOperationException($"the container's PID 1 ({name}) never appeared; stderr:\n{Stderr}");
    }

    public void Dispose()
    {
        if (!_unshare.HasExited)
        {
            _unshare.Kill(entireProcessTree: true);
            _unshare.WaitForExit();
        }
        _unshare.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
