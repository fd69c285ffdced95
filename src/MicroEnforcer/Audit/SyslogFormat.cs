using System.Buffers;
using System.Globalization;
using System.Text;
using MicroEnforcer.Audit.Schema.V1;

namespace MicroEnforcer.Audit;

/// <summary>
/// An audit event as an RFC 5424 syslog message, without framing (the TCP transport prefixes
/// RFC 6587's octet count):
/// <c>&lt;PRI&gt;1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [microenforcer@32473 control="" action="" mode="" pid=""] BOM JSON-line</c>.
/// PRI is facility × 8 + severity (killed 3 err, blocked and detected 4 warning, observed 6 info;
/// a rejected reload and a sink's drops 4). TIMESTAMP is the event's time in UTC with the 6
/// fractional digits the RFC allows (truncated from 7). HOSTNAME is the container's host name,
/// PROCID the enforcer's own process id (the event's process is in the structured data), MSGID the
/// control. Header fields keep to the RFC's printable ASCII and lengths (HOSTNAME 255, APP-NAME 48,
/// PROCID 128, MSGID 32: cut, other characters as '_', "-" when empty). MSG is the JSON line, so a
/// syslog server stores what stderr shows.
/// </summary>
internal static class SyslogFormat
{
    public const string DefaultAppName = "microenforcer";

    /// <summary>
    /// The structured data's SD-ID. An SD-ID of one's own needs "@" and an IANA private enterprise
    /// number; 32473 is the one RFC 5612 reserves for documentation and examples, used until the
    /// project has a number of its own.
    /// </summary>
    public const string StructuredDataId = "microenforcer@32473";

    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];

    public static byte[] Serialize(Event e, AuditResource resource, int facility = SyslogFacility.Local0, string appName = DefaultAppName, int? procId = null)
    {
        var buffer = new ArrayBufferWriter<byte>(768);
        Write(e, resource, buffer, facility, appName, procId);
        return buffer.WrittenSpan.ToArray();
    }

    public static void Write(Event e, AuditResource resource, IBufferWriter<byte> output, int facility = SyslogFacility.Local0,
        string appName = DefaultAppName, int? procId = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(facility);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(facility, 23);
        var header = new StringBuilder(256);
        header.Append('<').Append((facility * 8 + Severity(e)).ToString(CultureInfo.InvariantCulture)).Append(">1 ");
        header.Append(Timestamp(e)).Append(' ');
        header.Append(HeaderField(resource.HostName, 255)).Append(' ');
        header.Append(HeaderField(appName, 48)).Append(' ');
        header.Append(HeaderField((procId ?? Environment.ProcessId).ToString(CultureInfo.InvariantCulture), 128)).Append(' ');
        header.Append(HeaderField(e.Control, 32)).Append(' ');
        header.Append('[').Append(StructuredDataId);
        Parameter(header, "control", e.Control);
        Parameter(header, "action", AuditSchema.ActionName(e.Action));
        Parameter(header, "mode", e.Mode);
        Parameter(header, "pid", e.Pid.ToString(CultureInfo.InvariantCulture));
        header.Append("] ");
        Encoding.UTF8.GetBytes(header.ToString(), output);
        output.Write(Bom);
        JsonLineFormat.Write(e, output);
    }

    /// <summary>RFC 5424's severity (6.2.1): 3 error, 4 warning, 6 informational.</summary>
    public static int Severity(Event e) => EventSeverity.Of(e) switch
    {
        AuditSeverity.Error => 3,
        AuditSeverity.Warning => 4,
        _ => 6,
    };

    private static string Timestamp(Event e) => e.Time is null
        ? "-"
        : e.Time.ToDateTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>1*N PRINTUSASCII (33-126), or the NILVALUE "-".</summary>
    private static string HeaderField(string? value, int maxLength)
    {
        if (string.IsNullOrEmpty(value))
            return "-";
        var field = new StringBuilder(Math.Min(value.Length, maxLength));
        foreach (char c in value)
        {
            if (field.Length == maxLength)
                break;
            field.Append(c is >= '!' and <= '~' ? c : '_');
        }
        return field.ToString();
    }

    /// <summary>SP PARAM-NAME="PARAM-VALUE", where '"', '\' and ']' must be escaped with '\' (6.3.3).</summary>
    private static void Parameter(StringBuilder sd, string name, string value)
    {
        sd.Append(' ').Append(name).Append("=\"");
        foreach (char c in value)
        {
            if (c is '"' or '\\' or ']')
                sd.Append('\\');
            sd.Append(c);
        }
        sd.Append('"');
    }
}
