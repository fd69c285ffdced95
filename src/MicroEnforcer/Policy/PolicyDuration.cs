using System.Globalization;

namespace MicroEnforcer.Policy;

/// <summary>
/// A length of time as a policy writes it: a whole number and a unit, or several of them
/// (<c>500ms</c>, <c>10s</c>, <c>1m</c>, <c>1m30s</c>, <c>2h</c>). The unit is required: a bare
/// number would leave the reader guessing between seconds and milliseconds.
/// Hand-written: TimeSpan's own formats ("00:00:10") are not what a policy author writes, and
/// XmlConvert's ISO 8601 durations ("PT10S") even less.
/// </summary>
public static class PolicyDuration
{
    /// <summary>The duration, or the error (which quotes the text) when it is not one.</summary>
    public static bool TryParse(string text, out TimeSpan value, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        value = TimeSpan.Zero;
        error = string.Empty;
        string trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            error = "the duration is empty; write a number and a unit such as 10s or 1m";
            return false;
        }

        long total = 0;   // milliseconds
        int i = 0;
        while (i < trimmed.Length)
        {
            int start = i;
            while (i < trimmed.Length && char.IsAsciiDigit(trimmed[i]))
                i++;
            if (i == start)
            {
                error = $"invalid duration '{text}': expected a whole number and a unit (ms, s, m, h) such as 10s or 1m";
                return false;
            }
            if (!long.TryParse(trimmed.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out long number)
                || number > int.MaxValue)
            {
                error = $"invalid duration '{text}': the number is too large";
                return false;
            }
            int unitStart = i;
            while (i < trimmed.Length && char.IsAsciiLetter(trimmed[i]))
                i++;
            long unit = trimmed[unitStart..i] switch
            {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => 0,
            };
            if (unit == 0)
            {
                error = unitStart == i
                    ? $"invalid duration '{text}': a number needs a unit (ms, s, m, h), e.g. {trimmed[start..i]}s"
                    : $"invalid duration '{text}': unknown unit '{trimmed[unitStart..i]}'; use ms, s, m or h";
                return false;
            }
            total += number * unit;
            if (total > (long)TimeSpan.MaxValue.TotalMilliseconds / 2)
            {
                error = $"invalid duration '{text}': too long";
                return false;
            }
        }

        value = TimeSpan.FromMilliseconds(total);
        return true;
    }

    /// <summary>The shortest text <see cref="TryParse"/> reads back as <paramref name="value"/>: 10s, 1m30s, 500ms.</summary>
    public static string Format(TimeSpan value)
    {
        long ms = (long)value.TotalMilliseconds;
        if (ms == 0)
            return "0s";
        var text = new System.Text.StringBuilder();
        foreach ((long unit, string name) in (ReadOnlySpan<(long, string)>)[(3_600_000, "h"), (60_000, "m"), (1000, "s"), (1, "ms")])
        {
            if (ms >= unit)
            {
                text.Append(CultureInfo.InvariantCulture, $"{ms / unit}{name}");
                ms %= unit;
            }
        }
        return text.ToString();
    }
}
