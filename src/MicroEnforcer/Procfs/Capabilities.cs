using System.Globalization;

namespace MicroEnforcer.Procfs;

/// <summary>Capabilities as /proc/PID/status shows them (CapInh, CapPrm, CapEff, CapBnd, CapAmb).</summary>
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

    /// <summary>A process's capability sets; null when it is gone.</summary>
    public static CapabilitySets? ReadSets(int pid)
    {
        try
        {
            return Parse(File.ReadAllText($"/proc/{pid}/status"));
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static CapabilitySets Parse(string status) =>
        new(Mask(status, "CapEff"), Mask(status, "CapPrm"), Mask(status, "CapInh"), Mask(status, "CapBnd"), Mask(status, "CapAmb"),
            Mask(status, "NoNewPrivs") == 1);

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
