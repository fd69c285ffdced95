using System.Text;
using System.Text.Json;
using MicroEnforcer.Audit;
using Xunit;

namespace MicroEnforcer.Tests.Audit;

public sealed class AuditLogTests
{
    [Fact]
    public void EventIsOneJsonObjectWithTheDocumentedFields()
    {
        var e = new AuditEvent("drift", AuditAction.Blocked, "enforce", 13, 9, 0, "/bin/list", "list", "list -l", "not in the image baseline", "execve")
        {
            Time = new DateTimeOffset(2026, 11, 22, 2, 26, 16, TimeSpan.Zero),
        };

        string line = Encoding.UTF8.GetString(AuditLog.Serialize(e).Span);

        Assert.DoesNotContain('\n', line);
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        Assert.Equal("microenforcer", root.GetProperty("source").GetString());
        Assert.Equal("2026-11-22T02:26:16.0000000Z", root.GetProperty("time").GetString());
        Assert.Equal("drift", root.GetProperty("control").GetString());
        Assert.Equal("blocked", root.GetProperty("action").GetString());
        Assert.Equal("enforce", root.GetProperty("mode").GetString());
        Assert.Equal(13, root.GetProperty("pid").GetInt32());
        Assert.Equal(9, root.GetProperty("ppid").GetInt32());
        Assert.Equal("/bin/list", root.GetProperty("path").GetString());
        Assert.Equal("list", root.GetProperty("requestedPath").GetString());
        Assert.Equal("list -l", root.GetProperty("cmdline").GetString());
        Assert.Equal("not in the image baseline", root.GetProperty("reason").GetString());
        Assert.Equal("execve", root.GetProperty("syscall").GetString());
    }

    [Fact]
    public void UnknownValuesAreNullAndHostileStringsStayInTheirField()
    {
        var e = new AuditEvent("drift", AuditAction.Killed, "enforce", 5, null, null, "/tmp/x\n{\"source\":\"forged\"}", null, null, "r", "execve");

        string line = Encoding.UTF8.GetString(AuditLog.Serialize(e).Span);

        Assert.DoesNotContain('\n', line);
        using var doc = JsonDocument.Parse(line);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("ppid").ValueKind);
        Assert.Equal("killed", doc.RootElement.GetProperty("action").GetString());
        Assert.Equal("/tmp/x\n{\"source\":\"forged\"}", doc.RootElement.GetProperty("path").GetString());
    }
}
