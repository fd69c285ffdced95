using MicroEnforcer.Policy;
using MicroEnforcer.Policy.Yaml;

namespace MicroEnforcer.Network;

/// <summary>
/// The crypto-mining indicators built into the binary: Falco's lists of mining-pool domains and
/// ports and of miner executables (FalcoMinerLists/, Apache-2.0, see its SOURCE.md and the
/// repository's THIRD-PARTY-NOTICES.md), embedded unchanged so that an update is a copy of the file.
/// </summary>
/// <remarks>
/// Read with the policy's YAML reader (YamlDotNet's event parser, which Native AOT keeps; its
/// reflection-based deserializer it does not), once, on first use.
/// </remarks>
public static class MinerLists
{
    public const string ResourceName = "falco-miner-lists.yaml";

    private static readonly Lazy<(PolicyList<DomainName> Domains, PolicyList<PortRange> Ports, PolicyList<string> Executables)> Lists =
        new(() => Parse(ReadResource()));

    /// <summary>miner_domains, https_miner_domains and http_miner_domains together, without any scheme or port.</summary>
    public static PolicyList<DomainName> Domains => Lists.Value.Domains;

    /// <summary>miner_ports: the ports mining pools listen on (stratum and friends).</summary>
    public static PolicyList<PortRange> Ports => Lists.Value.Ports;

    /// <summary>miner_binaries: file names of miner executables (xmrig, ...).</summary>
    public static PolicyList<string> Executables => Lists.Value.Executables;

    /// <summary>Reads Falco's rules-file shape: a list of <c>{list: NAME, items: [...]}</c>, other entries (macros) ignored.</summary>
    internal static (PolicyList<DomainName> Domains, PolicyList<PortRange> Ports, PolicyList<string> Executables) Parse(string yaml)
    {
        if (YamlParser.Parse(yaml) is not YamlSequence entries)
        {
            throw new InvalidOperationException("the embedded miner lists are not a YAML list of Falco lists");
        }

        var domains = new List<DomainName>();
        var seenDomains = new HashSet<DomainName>();
        var ports = new List<PortRange>();
        var executables = new List<string>();
        foreach (YamlNode entry in entries.Items)
        {
            if (entry is not YamlMapping mapping || !mapping.TryGetValue("list", out YamlNode? nameNode) || !mapping.TryGetValue("items", out YamlNode? itemsNode))
            {
                continue;
            }

            string name = ((YamlScalar)nameNode).Value;
            foreach (YamlNode itemNode in ((YamlSequence)itemsNode).Items)
            {
                string item = ((YamlScalar)itemNode).Value;
                switch (name)
                {
                    case "miner_domains" or "https_miner_domains" or "http_miner_domains":
                        DomainName domain = Domain(item);
                        if (seenDomains.Add(domain))
                        {
                            domains.Add(domain);
                        }

                        break;
                    case "miner_ports":
                        ports.Add(PortRange.TryParse(item, out PortRange port, out string error)
                            ? port
                            : throw new InvalidOperationException($"embedded miner port '{item}': {error}"));
                        break;
                    case "miner_binaries":
                        executables.Add(item);
                        break;
                }
            }
        }

        return (PolicyList.From(domains), PolicyList.From(ports), PolicyList.From(executables));
    }

    // Falco's domain lists are matched against fd.sip.name and have held URLs
    // ("https://pool.example:443") in some versions: only the host is a domain.
    private static DomainName Domain(string item)
    {
        string host = item;
        int scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            host = host[(scheme + 3)..];
        }

        int end = host.IndexOfAny(['/', ':']);
        if (end >= 0)
        {
            host = host[..end];
        }

        return DomainName.TryParse(host, out DomainName domain, out string error)
            ? domain
            : throw new InvalidOperationException($"embedded miner domain '{item}': {error}");
    }

    private static string ReadResource()
    {
        using Stream stream = typeof(MinerLists).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource '{ResourceName}' is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
