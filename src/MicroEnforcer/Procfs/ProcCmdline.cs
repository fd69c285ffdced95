using System.Text;

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

    public static string Format(ReadOnlySpan<byte> raw)
    {
        if (!raw.IsEmpty && raw[^1] == 0)
            raw = raw[..^1];
        string text = Encoding.UTF8.GetString(raw);
        return text.Replace('\0', ' ');
    }
}
