using System.Globalization;

namespace MicroEnforcer.Procfs;

/// <summary>The calling process's effective capabilities, from CapEff in /proc/self/status.</summary>
internal static class Capabilities
{
    public static bool HasEffective(int capability)
    {
        try
        {
            return HasCapability(File.ReadAllText("/proc/self/status"), "CapEff", capability);
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static bool HasCapability(string status, string field, int capability) =>
        (Mask(status, field) & (1UL << capability)) != 0;

    /// <summary>A process's effective, permitted and inheritable sets; null when it is gone.</summary>
    public static (ulong Effective, ulong Permitted, ulong Inheritable)? ReadSets(int pid)
    {
        try
        {
            string status = File.ReadAllText($"/proc/{pid}/status");
            return (Mask(status, "CapEff"), Mask(status, "CapPrm"), Mask(status, "CapInh"));
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static ulong Mask(string status, string field)
    {
        foreach (string line in status.Split('\n'))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal) &&
                ulong.TryParse(line[(field.Length + 1)..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong mask))
                return mask;
        }
        return 0;
    }
}
