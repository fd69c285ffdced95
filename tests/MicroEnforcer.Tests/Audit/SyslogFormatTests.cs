using System.Text;
using System.Text.RegularExpressions;
using MicroEnforcer.Audit;
using Xunit;

namespace MicroEnforcer.Tests.Audit;

/// <summary>
/// The syslog message is read back with RFC 5424's ABNF (section 6) as a strict regex: the header
/// fields in their character sets and lengths, the structured data with its escapes, the MSG as a
/// BOM and the JSON line.
/// </summary>
public sealed partial class SyslogFormatTests
{
    private static readonly AuditResource Host = AuditResource.FromEnvironment(_ => null, "web-7d4b9", "0.1.0");

    [Fact]
    public void EveryEventIsAnRfc5424MessageWithTheJsonLineAsItsMessage()
    {
        foreach (var (name, e) in AuditEventSamples.All())
        {
            string message = Syslog(e);

            Match m = Rfc5424().Match(message);
            Assert.True(m.Success, $"{name}: not RFC 5424: {message}");
            Assert.Equal("web-7d4b9", m.Groups["hostname"].Value);
            Assert.Equal("microenforcer", m.Groups["app"].Value);
            Assert.Equal("4242", m.Groups["procid"].Value);
            Assert.Equal(e.Control, m.Groups["msgid"].Value);
            Assert.Equal("\uFEFF" + Encoding.UTF8.GetString(AuditLog.Serialize(e).Span), m.Groups["msg"].Value);
        }
    }

    [Fact]
    public void TheHeaderHasThePriorityTimeAndStructuredData()
    {
        Assert.Equal(
            "<132>1 2026-11-22T02:26:16.000000Z web-7d4b9 microenforcer 4242 drift [microenforcer@32473 control=\"drift\" action=\"blocked\" mode=\"enforce\" pid=\"13\"] \uFEFF",
            Syslog(AuditEventSamples.Drift())[..(Syslog(AuditEventSamples.Drift()).IndexOf('\uFEFF') + 1)]);
    }

    [Theory]
    [InlineData(nameof(AuditEventSamples.Hostile), 16 * 8 + 3)]   // killed: err
    [InlineData(nameof(AuditEventSamples.Network), 16 * 8 + 4)]   // detected: warning
    [InlineData(nameof(AuditEventSamples.ProcessExit), 16 * 8 + 6)]   // observed: info
    [InlineData(nameof(AuditEventSamples.Reload), 16 * 8 + 6)]
    [InlineData(nameof(AuditEventSamples.RejectedReload), 16 * 8 + 4)]   // something lost: warning
    [InlineData(nameof(AuditEventSamples.Dropped), 16 * 8 + 4)]
    public void PriorityIsFacilityAndSeverityByAction(string sample, int pri)
    {
        AuditEvent e = AuditEventSamples.All().Single(s => s.Name == sample).Event;

        Assert.StartsWith($"<{pri}>1 ", Syslog(e), StringComparison.Ordinal);
    }

    [Fact]
    public void TimeHasTheSixFractionalDigitsTheRfcAllows()
    {
        Assert.Equal("2026-11-22T02:26:16.123456Z", Rfc5424().Match(Syslog(AuditEventSamples.Hostile())).Groups["timestamp"].Value);
    }

    [Fact]
    public void QuotesBackslashesAndBracketsAreEscapedInStructuredData()
    {
        AuditEvent e = AuditEventSamples.Drift() with { Control = "a\"b\\c]d", Mode = "]\"\\" };

        string message = Syslog(e);

        Match m = Rfc5424().Match(message);
        Assert.True(m.Success, message);
        Assert.Contains("[microenforcer@32473 control=\"a\\\"b\\\\c\\]d\" action=\"blocked\" mode=\"\\]\\\"\\\\\" pid=\"13\"]", message, StringComparison.Ordinal);
        Assert.Equal("a\"b\\c]d", m.Groups["msgid"].Value);   // printable ASCII: allowed as it is in MSGID
    }

    [Fact]
    public void HeaderFieldsAreCutToTheirLengthsAndKeptToPrintableAscii()
    {
        AuditResource longHost = AuditResource.FromEnvironment(_ => null, new string('h', 300), "0.1.0");
        AuditEvent e = AuditEventSamples.Drift() with { Control = "a control with spaces and é, longer than 32" };

        string message = Encoding.UTF8.GetString(SyslogFormat.Serialize(AuditSchema.ToProto(e), longHost, SyslogFacility.Local0, new string('a', 60), 4242));

        Match m = Rfc5424().Match(message);
        Assert.True(m.Success, message);
        Assert.Equal(new string('h', 255), m.Groups["hostname"].Value);
        Assert.Equal(new string('a', 48), m.Groups["app"].Value);
        Assert.Equal("a_control_with_spaces_and__,_lon", m.Groups["msgid"].Value);
    }

    [Fact]
    public void AnUnknownHostAndAnEmptyAppNameAreTheNilValue()
    {
        AuditResource noHost = AuditResource.FromEnvironment(_ => null, null, "0.1.0");

        string message = Encoding.UTF8.GetString(SyslogFormat.Serialize(AuditSchema.ToProto(AuditEventSamples.Drift()), noHost, SyslogFacility.Local0, "", 1));

        Match m = Rfc5424().Match(message);
        Assert.True(m.Success, message);
        Assert.Equal("-", m.Groups["hostname"].Value);
        Assert.Equal("-", m.Groups["app"].Value);
    }

    [Theory]
    [InlineData("kern", 0)]
    [InlineData("user", 1)]
    [InlineData("daemon", 3)]
    [InlineData("auth", 4)]
    [InlineData("authpriv", 10)]
    [InlineData("local0", 16)]
    [InlineData("LOCAL3", 19)]
    [InlineData("local7", 23)]
    public void FacilitiesAreParsedByName(string name, int code)
    {
        Assert.True(SyslogFacility.TryParse(name, out int parsed));
        Assert.Equal(code, parsed);
        string message = Encoding.UTF8.GetString(SyslogFormat.Serialize(AuditSchema.ToProto(AuditEventSamples.Drift()), Host, parsed, "me", 1));
        Assert.StartsWith($"<{code * 8 + 4}>1 ", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("local8")]
    [InlineData("")]
    [InlineData("16")]
    public void AnUnknownFacilityIsRefused(string name)
    {
        Assert.False(SyslogFacility.TryParse(name, out _));
        Assert.Equal(24, SyslogFacility.Names.Count());
    }

    private static string Syslog(AuditEvent e) =>
        Encoding.UTF8.GetString(SyslogFormat.Serialize(AuditSchema.ToProto(e), Host, SyslogFacility.Local0, SyslogFormat.DefaultAppName, 4242));

    // RFC 5424 section 6: HEADER SP STRUCTURED-DATA [SP MSG]. PRINTUSASCII is %d33-126; SD-NAME
    // excludes '=', SP, ']' and '"'; in PARAM-VALUE, '"', '\' and ']' appear only escaped.
    [GeneratedRegex("""
        ^<(?<pri>[0-9]|[1-9][0-9]|1[0-8][0-9]|19[01])>1
        \x20(?<timestamp>-|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2}))
        \x20(?<hostname>-|[\x21-\x7e]{1,255})
        \x20(?<app>-|[\x21-\x7e]{1,48})
        \x20(?<procid>-|[\x21-\x7e]{1,128})
        \x20(?<msgid>-|[\x21-\x7e]{1,32})
        \x20(?<sd>-|(\[[\x21\x23-\x3c\x3e-\x5c\x5e-\x7e]{1,32}(\x20[\x21\x23-\x3c\x3e-\x5c\x5e-\x7e]{1,32}="([^"\\\]]|\\["\\\]])*")*\])+)
        (\x20(?<msg>\uFEFF.*))?$
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.Singleline)]
    private static partial Regex Rfc5424();
}
