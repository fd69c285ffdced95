using System.Text.Json;
using MicroEnforcer.Audit;
using MicroEnforcer.Controls;
using MicroEnforcer.Sessions;
using Xunit;

namespace MicroEnforcer.Tests.Audit;

/// <summary>
/// The Falco event has exactly the fields of Falco's JSON output that falcosidekick reads, with
/// their types, and every control has a rule and a priority (docs/audit-sinks.md has the table).
/// </summary>
public sealed class FalcoFormatTests
{
    private static readonly AuditResource Pod = AuditResource.FromEnvironment(
        name => name switch
        {
            "MICROENFORCER_POD_NAME" => "web-7d4b9",
            "MICROENFORCER_POD_NAMESPACE" => "shop",
            "MICROENFORCER_CONTAINER_NAME" => "nginx",
            "MICROENFORCER_IMAGE" => "registry.example/team/nginx:1.27",
            _ => null,
        },
        "web-7d4b9", "0.1.0+abc");

    [Fact]
    public void AnEventHasExactlyFalcosFieldsWithTheirTypes()
    {
        foreach (var (name, e) in AuditEventSamples.All())
        {
            using JsonDocument doc = Falco(e);
            JsonElement root = doc.RootElement;

            Assert.Equal(["output", "priority", "rule", "time", "output_fields", "source", "tags", "hostname"], root.EnumerateObject().Select(p => p.Name));
            Assert.Equal(JsonValueKind.String, root.GetProperty("output").ValueKind);
            Assert.Contains(root.GetProperty("priority").GetString(), new[] { "Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug" });
            Assert.StartsWith("MicroEnforcer ", root.GetProperty("rule").GetString(), StringComparison.Ordinal);
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", root.GetProperty("time").GetString());
            Assert.Equal("microenforcer", root.GetProperty("source").GetString());
            Assert.All(root.GetProperty("tags").EnumerateArray(), t => Assert.Equal(JsonValueKind.String, t.ValueKind));
            Assert.Equal("web-7d4b9", root.GetProperty("hostname").GetString());
            JsonElement fields = root.GetProperty("output_fields");
            Assert.Equal(JsonValueKind.Number, fields.GetProperty("proc.pid").ValueKind);
            Assert.Contains(fields.GetProperty("proc.ppid").ValueKind, new[] { JsonValueKind.Number, JsonValueKind.Null });
            Assert.Contains(fields.GetProperty("user.uid").ValueKind, new[] { JsonValueKind.Number, JsonValueKind.Null });
            Assert.Contains(fields.GetProperty("proc.cmdline").ValueKind, new[] { JsonValueKind.String, JsonValueKind.Null });
            Assert.Equal(JsonValueKind.String, fields.GetProperty("evt.type").ValueKind);
            Assert.Equal("shop", fields.GetProperty("k8s.ns.name").GetString());
            Assert.Equal("web-7d4b9", fields.GetProperty("k8s.pod.name").GetString());
            Assert.Equal("registry.example/team/nginx", fields.GetProperty("container.image.repository").GetString());
            Assert.Equal("1.27", fields.GetProperty("container.image.tag").GetString());
            Assert.True(fields.EnumerateObject().All(f => f.Value.ValueKind != JsonValueKind.Object), $"{name}: output_fields are flat");
        }
    }

    [Fact]
    public void ABlockedDriftIsCriticalUnderItsRule()
    {
        using JsonDocument doc = Falco(AuditEventSamples.Drift());
        JsonElement root = doc.RootElement;

        Assert.Equal("MicroEnforcer Drift Prevention", root.GetProperty("rule").GetString());
        Assert.Equal("Critical", root.GetProperty("priority").GetString());
        Assert.Equal("2026-11-22T02:26:16.000000000Z", root.GetProperty("time").GetString());
        Assert.Equal("02:26:16.000000000: Critical drift blocked execve /bin/list (as list) by pid 13 (list -l): not in the image baseline",
            root.GetProperty("output").GetString());
        Assert.Equal(["microenforcer", "process", "mitre_persistence", "TA0003"], root.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        JsonElement fields = root.GetProperty("output_fields");
        Assert.Equal(13, fields.GetProperty("proc.pid").GetInt32());
        Assert.Equal(9, fields.GetProperty("proc.ppid").GetInt32());
        Assert.Equal(0, fields.GetProperty("user.uid").GetInt32());
        Assert.Equal("/bin/list", fields.GetProperty("proc.exepath").GetString());
        Assert.Equal("list", fields.GetProperty("proc.name").GetString());
        Assert.Equal("list -l", fields.GetProperty("proc.cmdline").GetString());
        Assert.Equal("execve", fields.GetProperty("evt.type").GetString());
        Assert.Equal("list", fields.GetProperty("microenforcer.requested_path").GetString());
        Assert.False(fields.TryGetProperty("fd.name", out _));   // an exec's path is no file descriptor's
    }

    [Fact]
    public void NetworkAndFileFactsUseFalcosFdFields()
    {
        using JsonDocument network = Falco(AuditEventSamples.Network());
        JsonElement n = network.RootElement.GetProperty("output_fields");
        Assert.Equal("Warning", network.RootElement.GetProperty("priority").GetString());
        Assert.Equal("10.0.0.1", n.GetProperty("fd.rip").GetString());
        Assert.Equal(25, n.GetProperty("fd.rport").GetInt32());
        Assert.Equal("0.0.0.0", n.GetProperty("fd.lip").GetString());
        Assert.Equal("tcp", n.GetProperty("fd.l4proto").GetString());
        Assert.Equal("mail.example.com", n.GetProperty("fd.rip.name").GetString());
        Assert.Equal(3, n.GetProperty("microenforcer.count").GetInt32());

        using JsonDocument file = Falco(AuditEventSamples.File());
        JsonElement f = file.RootElement.GetProperty("output_fields");
        Assert.Equal("/etc/passwd", f.GetProperty("fd.name").GetString());
        Assert.Equal("rename", f.GetProperty("microenforcer.file.operation").GetString());
        Assert.Equal(JsonValueKind.Null, f.GetProperty("microenforcer.file.sha256_before").ValueKind);
        Assert.True(f.GetProperty("microenforcer.file.change_seen").GetBoolean());
    }

    [Fact]
    public void TheEnforcersOwnEventsHaveTheirRulesAndPriorities()
    {
        using JsonDocument reload = Falco(AuditEventSamples.Reload());
        Assert.Equal("MicroEnforcer Policy Reload", reload.RootElement.GetProperty("rule").GetString());
        Assert.Equal("Notice", reload.RootElement.GetProperty("priority").GetString());
        Assert.Equal("pending-restart", reload.RootElement.GetProperty("output_fields").GetProperty("microenforcer.reload.result").GetString());
        Assert.False(reload.RootElement.GetProperty("output_fields").TryGetProperty("proc.exepath", out _));

        using JsonDocument rejected = Falco(AuditEventSamples.RejectedReload());
        Assert.Equal("Warning", rejected.RootElement.GetProperty("priority").GetString());
        Assert.Equal(2, rejected.RootElement.GetProperty("output_fields").GetProperty("microenforcer.reload.errors").GetArrayLength());

        using JsonDocument dropped = Falco(AuditEventSamples.Dropped());
        Assert.Equal("MicroEnforcer Audit Events Dropped", dropped.RootElement.GetProperty("rule").GetString());
        Assert.Equal("Warning", dropped.RootElement.GetProperty("priority").GetString());
        Assert.Equal(1234, dropped.RootElement.GetProperty("output_fields").GetProperty("microenforcer.dropped.count").GetInt64());

        using JsonDocument forensics = Falco(AuditEventSamples.ProcessExit());
        Assert.Equal("Informational", forensics.RootElement.GetProperty("priority").GetString());
    }

    [Fact]
    public void EveryControlHasARuleAndAPriorityForEachAction()
    {
        IEnumerable<string> controls = ControlRegistry.All.Select(c => c.AuditName)
            .Append(SessionEnforcement.ControlName).Append("policyReload").Append("audit");

        foreach (string control in controls)
        {
            FalcoRule rule = Assert.Single(FalcoRule.All, r => r.Control == control);
            Assert.StartsWith("MicroEnforcer ", rule.Name, StringComparison.Ordinal);
            Assert.InRange(rule.Enforced, FalcoPriority.Critical, FalcoPriority.Warning);
            Assert.InRange(rule.Detected, FalcoPriority.Critical, FalcoPriority.Notice);
        }
        Assert.Equal(FalcoRule.All.Count, FalcoRule.All.Select(r => r.Name).Distinct().Count());
    }

    [Fact]
    public void TheDocumentedTableIsTheCodesTable()
    {
        string doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "audit-sinks.md"));

        foreach (FalcoRule rule in FalcoRule.All)
            Assert.Contains($"| `{rule.Control}` | {rule.Name} | {rule.Enforced} | {rule.Detected} | {rule.Observed} |", doc, StringComparison.Ordinal);
    }

    private static JsonDocument Falco(AuditEvent e) => JsonDocument.Parse(FalcoFormat.Serialize(AuditSchema.ToProto(e), Pod));

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MicroEnforcer.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("MicroEnforcer.sln not found above the test's directory");
    }
}
