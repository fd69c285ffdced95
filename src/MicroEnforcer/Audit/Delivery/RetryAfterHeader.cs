using System.Globalization;

namespace MicroEnforcer.Audit.Delivery;

/// <summary>
/// The Retry-After header of a 429 or 503 (RFC 9110 10.2.3): a number of seconds, or an HTTP
/// date. Read from its text rather than HttpClient's typed header, whose parse of an invalid
/// value is silently null, and so that a date is measured against the clock the sender uses.
/// </summary>
internal static class RetryAfterHeader
{
    /// <summary>Longest wait honoured: a receiver asking for more is asked again after this.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromMinutes(5);

    /// <summary>How long to wait from <paramref name="now"/>; null when the value is neither form. A past date is no wait.</summary>
    public static TimeSpan? Parse(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        string text = value.Trim();
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds))
            return seconds >= Longest.TotalSeconds ? Longest : TimeSpan.FromSeconds(seconds);
        // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"); "r" is exactly that form.
        if (DateTimeOffset.TryParseExact(text, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset date))
        {
            TimeSpan wait = date - now;
            return wait <= TimeSpan.Zero ? TimeSpan.Zero : wait > Longest ? Longest : wait;
        }
        return null;
    }
}
