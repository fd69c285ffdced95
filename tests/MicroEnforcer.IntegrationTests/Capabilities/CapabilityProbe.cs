using System.Globalization;

namespace MicroEnforcer.IntegrationTests.Capabilities;

/// <summary>What TestPrograms/capprobe.c printed: its ids, what it tried, and its status lines.</summary>
internal sealed class CapabilityProbe
{
    public const int NetRaw = 13;
    public const int Chown = 0;
    public static readonly string[] Sets = ["CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"];

    private readonly Dictionary<string, string> _fields = [];

    /// <summary>The report of the lines starting with <paramref name="prefix"/> ("" for the probe itself, "child " for its child).</summary>
    public CapabilityProbe(string stdout, string prefix = "")
    {
        foreach (string line in stdout.Split('\n'))
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal) || (prefix.Length == 0 && line.StartsWith("child ", StringComparison.Ordinal)))
                continue;
            string rest = line[prefix.Length..];
            if (rest.StartsWith("ids ", StringComparison.Ordinal))
            {
                foreach (string pair in rest[4..].Split(' '))
                    _fields[pair.Split('=')[0]] = pair.Split('=')[1];
            }
            else if (rest.IndexOf(':') is > 0 and int colon)
                _fields[rest[..colon]] = rest[(colon + 1)..].Trim();
            else if (rest.IndexOf('=') is > 0 and int equals)
                _fields[rest[..equals]] = rest[(equals + 1)..].Trim();
        }
        if (!_fields.ContainsKey("raw") || !_fields.ContainsKey("CapBnd"))
            throw new InvalidOperationException($"capprobe did not report (prefix '{prefix}'):\n{stdout}");
    }

    /// <summary>"ok", or why socket(AF_INET, SOCK_RAW) failed ("EPERM").</summary>
    public string RawSocket => _fields["raw"];

    /// <summary>Putting NET_RAW back into effective, permitted and inheritable with capset.</summary>
    public string Raise => _fields["raise"];

    /// <summary>PR_CAP_AMBIENT_RAISE of NET_RAW.</summary>
    public string AmbientRaise => _fields["ambient"];

    public int Uid => int.Parse(_fields["uid"], CultureInfo.InvariantCulture);

    public int Euid => int.Parse(_fields["euid"], CultureInfo.InvariantCulture);

    public bool NoNewPrivs => _fields["NoNewPrivs"] == "1";

    public ulong Set(string name) => ulong.Parse(_fields[name], NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    public bool Holds(string set, int capability) => (Set(set) & (1UL << capability)) != 0;

    /// <summary>The sets that hold <paramref name="capability"/>.</summary>
    public IEnumerable<string> SetsHolding(int capability) => Sets.Where(set => Holds(set, capability));
}
