using System.Collections.Frozen;

namespace MicroEnforcer.Audit;

/// <summary>
/// Syslog facilities by name (RFC 5424 section 6.2.1's codes, named as syslog.conf and rsyslog
/// name them), for the policy's <c>facility</c>. Audit events default to local0.
/// </summary>
internal static class SyslogFacility
{
    public const int Local0 = 16;

    private static readonly FrozenDictionary<string, int> Codes = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase)
    {
        ["kern"] = 0, ["user"] = 1, ["mail"] = 2, ["daemon"] = 3, ["auth"] = 4, ["syslog"] = 5, ["lpr"] = 6, ["news"] = 7,
        ["uucp"] = 8, ["cron"] = 9, ["authpriv"] = 10, ["ftp"] = 11, ["ntp"] = 12, ["audit"] = 13, ["alert"] = 14, ["clock"] = 15,
        ["local0"] = 16, ["local1"] = 17, ["local2"] = 18, ["local3"] = 19, ["local4"] = 20, ["local5"] = 21, ["local6"] = 22, ["local7"] = 23,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>The names accepted, in code order (for an error message).</summary>
    public static IEnumerable<string> Names => Codes.OrderBy(c => c.Value).Select(c => c.Key);

    public static bool TryParse(string name, out int code) => Codes.TryGetValue(name, out code);
}
