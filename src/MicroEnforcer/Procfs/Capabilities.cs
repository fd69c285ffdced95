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

    public static bool HasCapability(string status, string field, int capability)
    {
        foreach (string line in status.Split('\n'))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal) &&
                ulong.TryParse(line[(field.Length + 1)..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong mask))
                return (mask & (1UL << capability)) != 0;
        }
        return false;
    }
}
