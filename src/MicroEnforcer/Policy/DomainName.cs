namespace MicroEnforcer.Policy;

/// <summary>
/// A DNS name a policy or a list file names, normalised: lowercase, without the trailing dot.
/// A listed name always covers its subdomains too: <c>example.com</c> matches
/// <c>example.com</c> and <c>a.b.example.com</c>. <c>*.example.com</c> is accepted as another
/// spelling of the same (blocklists write it so) and is stored as <c>example.com</c>.
/// </summary>
/// <remarks>
/// Labels are 1 to 63 characters of a-z, 0-9, '-' and '_', and the name at most 253 characters
/// (RFC 1035's limits). The underscore, not a hostname character, is taken because real
/// blocklists list such names (<c>_dmarc.example.com</c>, tracker hosts) and DNS carries them;
/// a leading or trailing hyphen is taken for the same reason. Anything else (a space, a '/', a
/// URL, non-ASCII: write an internationalised name in its xn-- form) is refused with the
/// character and its position, so a typo is not silently a name that never matches.
/// </remarks>
public readonly record struct DomainName
{
    public const int MaxLength = 253;

    public const int MaxLabelLength = 63;

    private DomainName(string name) => Name = name;

    /// <summary>The normalised name: lowercase, no trailing dot, no <c>*.</c>.</summary>
    public string Name { get; }

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(string text, out DomainName name, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = Normalise(text, out string? normalised) ?? string.Empty;
        name = normalised is null ? default : new DomainName(normalised);
        return normalised is not null;
    }

    /// <summary>Checks <paramref name="text"/> and makes its normalised form: null when valid, with <paramref name="name"/>; else the reason.</summary>
    internal static string? Normalise(ReadOnlySpan<char> text, out string? name)
    {
        Span<char> buffer = stackalloc char[MaxLength];
        string? error = Normalise(text, buffer, out int length);
        name = error is null ? new string(buffer[..length]) : null;
        return error;
    }

    /// <summary>
    /// Checks <paramref name="text"/> and writes its normalised form into <paramref name="name"/>
    /// (<see cref="MaxLength"/> long), allocating nothing unless it is bad: list files hold
    /// hundreds of thousands. Null when valid, with its <paramref name="length"/>; else the reason.
    /// </summary>
    internal static string? Normalise(ReadOnlySpan<char> text, Span<char> name, out int length)
    {
        length = 0;
        ReadOnlySpan<char> original = text;
        int offset = 0;
        if (text.StartsWith("*."))
        {
            text = text[2..];
            offset = 2;
        }

        if (text.EndsWith('.'))
        {
            text = text[..^1];
        }

        if (text.IsEmpty)
        {
            return original.IsEmpty ? "the domain name is empty" : $"'{original}' names no domain";
        }

        if (text.Length > MaxLength)
        {
            return $"'{Shorten(original)}' is {text.Length} characters long; a domain name has at most {MaxLength}";
        }

        int labelStart = 0;
        bool allDigits = true;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == '.')
            {
                int labelLength = i - labelStart;
                if (labelLength == 0)
                {
                    return $"'{original}' has an empty label at position {offset + i + 1} (two dots in a row, or a leading dot)";
                }

                if (labelLength > MaxLabelLength)
                {
                    return $"'{Shorten(original)}' has a label of {labelLength} characters at position {offset + labelStart + 1}; a label has at most {MaxLabelLength}";
                }

                labelStart = i + 1;
                continue;
            }

            char c = text[i];
            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
            {
                string shown = c is '*' ? "'*' (a wildcard is only taken as a leading '*.', which a listed name means anyway)"
                    : char.IsAscii(c) && !char.IsControl(c) ? $"'{c}'"
                    : $"U+{(int)c:X4} (write an internationalised name in its xn-- form)";
                return $"'{original}' has an invalid character {shown} at position {offset + i + 1}; a domain name has letters, digits, '-', '_' and dots";
            }

            allDigits &= char.IsAsciiDigit(c);
        }

        if (allDigits && text.Count('.') == 3)
        {
            return $"'{original}' is an IPv4 address, not a domain name: list it with the addresses";
        }

        length = text.ToLowerInvariant(name);
        return null;
    }

    private static string Shorten(ReadOnlySpan<char> text) => text.Length <= 40 ? text.ToString() : $"{text[..37]}...";

    /// <summary>The normalised name.</summary>
    public override string ToString() => Name ?? string.Empty;
}
