using System.Net;
using MicroEnforcer.Network;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

/// <summary>
/// The readers network controls use for their lists (ports, domains, list files), through the
/// policy loader, with a section of this test's own: the controls' sections are the lead's.
/// </summary>
public sealed class NetworkListsPolicyTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("microenforcer-lists-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private sealed record ListsPolicy(bool Enabled, EnforcementMode Mode, PolicyList<PortRange> Ports, PolicyList<DomainName> Domains,
        PolicyList<IpNetwork> Addresses, PolicyList<ListFile> ListFiles) : ControlPolicy(Enabled, Mode);

    private sealed class ListsSection : PolicySection
    {
        public override string Name => "lists";

        public override string Title => "lists";

        public override ControlPolicy Bind(SectionReader section)
        {
            (bool enabled, EnforcementMode mode) = section.Switches();
            return new ListsPolicy(enabled, mode, section.Ports("ports"), section.Domains("domains"), section.Networks("addresses"),
                section.ListFiles<ListFile>("listFiles", ListFile.Load));
        }
    }

    private static PolicyLoadResult Parse(string spec) =>
        PolicyLoader.Parse("apiVersion: microenforcer.dev/v1\nkind: RuntimePolicy\nspec:\n" + spec, "policy.yaml", [new ListsSection()]);

    [Fact]
    public void PortsAndDomains_Parse()
    {
        PolicyLoadResult result = Parse("""
              lists:
                ports: [22, "6000-6063", 0-1023]
                domains: [Pool.MineXMR.com, "*.example.org."]
            """);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var policy = result.Policy.Get<ListsPolicy>();
        Assert.Equal([new PortRange(22, 22), new PortRange(6000, 6063), new PortRange(0, 1023)], policy.Ports);
        Assert.Equal(["pool.minexmr.com", "example.org"], policy.Domains.Select(d => d.Name));
        Assert.Empty(policy.ListFiles);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void BadItems_AreErrorsAtTheirLine_WithTheReason()
    {
        PolicyLoadResult result = Parse("""
              lists:
                ports:
                  - 80
                  - 70000
                  - "10-1"
                domains:
                  - good.example
                  - "bad domain.example"
                  - [nested]
            """);

        Assert.False(result.Succeeded);
        Assert.Collection(result.Errors,
            e => Assert.Equal("policy.yaml:7:9: spec.lists.ports[1]: port 70000 is out of range: ports are 0 to 65535", e.ToString()),
            e => Assert.Equal("policy.yaml:8:9: spec.lists.ports[2]: '10-1' is a reversed range: the first port must not be above the last (did you mean 1-10?)", e.ToString()),
            e => Assert.Equal("policy.yaml:11:9: spec.lists.domains[1]: 'bad domain.example' has an invalid character ' ' at position 4; a domain name has letters, digits, '-', '_' and dots", e.ToString()),
            e => Assert.Equal("policy.yaml:12:9: spec.lists.domains[2]: expected a domain name such as example.com, got a list", e.ToString()));
    }

    [Fact]
    public void ListFiles_Load_AndTheirBadLinesAreWarnings()
    {
        string hosts = Path.Combine(_directory, "hosts");
        File.WriteAllText(hosts, "0.0.0.0 bad.example\n0.0.0.0 not$ok\n");
        string networks = Path.Combine(_directory, "networks.txt");
        File.WriteAllText(networks, "203.0.113.0/24\n2001:db8::/32\n");

        PolicyLoadResult result = Parse($"""
              lists:
                listFiles: [{hosts}, {networks}]
            """);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        PolicyList<ListFile> files = result.Policy.Get<ListsPolicy>().ListFiles;
        Assert.Equal([hosts, networks], files.Select(f => f.Path));
        Assert.Equal("bad.example", DomainSet.From([], files.Select(f => f.Domains)).Match("x.bad.example"));
        Assert.NotNull(AddressSet.From([], files.Select(f => f.Networks)).Match(IPAddress.Parse("2001:db8::1")));
        string warning = $"{hosts}:2: 'not$ok' has an invalid character '$' at position 4; a domain name has letters, digits, '-', '_' and dots";
        Assert.Equal([warning], result.Warnings);
        Assert.Equal([warning], files[0].Warnings);
    }

    [Fact]
    public void AnUnreadableListFile_RefusesThePolicy_AtTheLineThatNamesIt()
    {
        string present = Path.Combine(_directory, "present");
        File.WriteAllText(present, "ok.example\nbad$\n");
        string missing = Path.Combine(_directory, "missing");

        PolicyLoadResult result = Parse($"""
              lists:
                listFiles:
                  - {present}
                  - {missing}
                  - relative/list.txt
                  - {_directory}
            """);

        Assert.False(result.Succeeded);
        Assert.Collection(result.Errors,
            e => Assert.Equal($"policy.yaml:7:9: spec.lists.listFiles[1]: cannot load list file '{missing}': no such file", e.ToString()),
            e => Assert.Equal("policy.yaml:8:9: spec.lists.listFiles[2]: 'relative/list.txt' is not an absolute path: name a list file by its absolute path", e.ToString()),
            e => Assert.Equal($"policy.yaml:9:9: spec.lists.listFiles[3]: cannot load list file '{_directory}': it is a directory, not a file", e.ToString()));
        Assert.Single(result.Warnings);   // the file that loaded still says what it skipped
    }
}
