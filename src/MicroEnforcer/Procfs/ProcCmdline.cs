using System.Text;

using MicroEnforcer.Interop;
namespace MicroEnforcer.Procfs;

/// <summary>/proc/PID/cmdline: NUL-separated arguments, shown space-separated in audit events.</summary>
internal static class ProcCmdline
{
    public static string? Read(int pid)
    {
        try
        {
            return Format(File.ReadAllBytes($"/proc/{pid}/cmdline"));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// The process has no arguments to show: /proc/PID/cmdline reads as nothing at all while an
    /// exec is building the new image's stack, and once its memory is gone (exiting). An exec
    /// with an empty argv still shows one NUL (the kernel makes argv[0] ""). Null when it is gone.
    /// </summary>
    public static bool? IsEmpty(int pid)
    {
        Span<byte> one = stackalloc byte[1];
        int n = ProcFile.ReadOnce($"/proc/{pid}/cmdline", one);
        return n < 0 ? null : n == 0;
    }

    /// <summary>
    /// The first arguments, as many as end within one 1 KiB read into the stack (it is on the
    /// exec event's path of every exec of a multi-call binary, which needs one or two); null if
    /// unreadable or if not even argv[0] ends there. An empty list: no arguments at all.
    /// </summary>
    public static List<string>? ReadFirstArguments(int pid)
    {
        Span<byte> buffer = stackalloc byte[1024];
        int n = ProcFile.ReadOnce($"/proc/{pid}/cmdline", buffer);
        if (n < 0)
            return null;
        var argv = new List<string>();
        ReadOnlySpan<byte> rest = buffer[..n];
        while (rest.IndexOf((byte)0) is int nul and >= 0)
        {
            argv.Add(PathText.Decode(rest[..nul]));
            rest = rest[(nul + 1)..];
        }
        return argv.Count == 0 && n > 0 ? null : argv;
    }

    /// <summary>The arguments, argv[0] first; null if the process is gone or has none.</summary>
    public static string[]? ReadArgv(int pid)
    {
        byte[] raw;
        try
        {
            raw = File.ReadAllBytes($"/proc/{pid}/cmdline");
        }
        catch (IOException)
        {
            return null;
        }
        if (raw.Length == 0)
            return null;
        var argv = new List<string>();
        ReadOnlySpan<byte> rest = raw;
        while (!rest.IsEmpty)
        {
            int nul = rest.IndexOf((byte)0);
            ReadOnlySpan<byte> arg = nul < 0 ? rest : rest[..nul];
            argv.Add(PathText.Decode(arg));
            rest = nul < 0 ? default : rest[(nul + 1)..];
        }
        return [.. argv];
    }

    public static string Format(ReadOnlySpan<byte> raw)
    {
        if (!raw.IsEmpty && raw[^1] == 0)
            raw = raw[..^1];
        string text = Encoding.UTF8.GetString(raw);
        return text.Replace('\0', ' ');
    }
}
