using System.Buffers;
using System.Net;
using System.Text;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Network;

/// <summary>
/// A list file the policy names (a DNS/IP blocklist), loaded when the policy is: the domains and
/// networks it lists, and a warning for each line it could not read.
/// </summary>
/// <remarks>
/// Two formats, told apart line by line so that the usual files load as they are: hosts-file
/// lines (<c>0.0.0.0 bad.example other.example</c>: an address, which is the sinkhole and not
/// listed, then names) and one entry per line (a domain, or an IP address or CIDR network). Text
/// from a '#' on is a comment; blank lines are skipped. A bad line is a warning
/// ("FILE:LINE: reason") and the rest still loads: a blocklist fetched from elsewhere is not the
/// policy author's text, and one odd line should not leave a container unprotected or unable to
/// start. A file that cannot be read at all is an error, which refuses the policy.
/// </remarks>
public sealed class ListFile : IEquatable<ListFile>
{
    /// <summary>Warnings kept per file; past them, one more says how many bad lines were not shown.</summary>
    public const int MaxWarnings = 100;

    // What hosts files map to themselves before their blocklist (StevenBlack's and the
    // distributions' preambles): listing them would refuse the container's own loopback names.
    private static readonly HashSet<string> HostsPreamble = new(StringComparer.OrdinalIgnoreCase)
    {
        "localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost", "ip6-loopback",
        "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters", "ip6-allhosts", "0.0.0.0",
    };

    private static readonly SearchValues<char> DigitsAndDots = SearchValues.Create("0123456789.");

    private ListFile(string path, DomainSet domains, AddressSet networks, IReadOnlyList<string> warnings)
    {
        Path = path;
        Domains = domains;
        Networks = networks;
        Warnings = warnings;
    }

    /// <summary>The path the policy names.</summary>
    public string Path { get; }

    public DomainSet Domains { get; }

    public AddressSet Networks { get; }

    /// <summary>"FILE:LINE: reason" for each line skipped (at most <see cref="MaxWarnings"/> and a count of the rest).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// Loads the file at <paramref name="path"/>: null with the file, or why it cannot be read; in
    /// the shape <see cref="SectionReader.ListFiles{T}"/> takes.
    /// </summary>
    public static string? Load(string path, out ListFile file, out IReadOnlyList<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(path);
        file = null!;
        warnings = [];
        if (Directory.Exists(path))
        {
            return "it is a directory, not a file";
        }

        try
        {
            using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            file = Read(path, reader);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return "no such file";
        }
        catch (UnauthorizedAccessException)
        {
            return "permission denied";
        }
        catch (IOException ex)
        {
            return ex.Message;
        }

        warnings = file.Warnings;
        return null;
    }

    /// <summary>Reads a list from <paramref name="reader"/>; <paramref name="path"/> names it in warnings.</summary>
    public static ListFile Read(string path, TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var domains = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var networks = new AddressSet.Builder();
        var warnings = new List<string>();
        int badLines = 0;
        int lineNumber = 0;
        while (reader.ReadLine() is { } text)
        {
            lineNumber++;
            if (ReadLine(text, domains, networks) is { } reason && ++badLines <= MaxWarnings)
            {
                warnings.Add($"{path}:{lineNumber}: {reason}");
            }
        }

        if (badLines > MaxWarnings)
        {
            warnings.Add($"{path}: {badLines - MaxWarnings} more bad line(s) not shown");
        }

        return new ListFile(path, DomainSet.Adopt(domains), networks.Build(), warnings);
    }

    /// <summary>Adds what one line lists; null, or why (some of) it was skipped.</summary>
    private static string? ReadLine(ReadOnlySpan<char> line, HashSet<string> domains, AddressSet.Builder networks)
    {
        int comment = line.IndexOf('#');
        if (comment >= 0)
        {
            line = line[..comment];
        }

        line = line.Trim();
        if (line.IsEmpty)
        {
            return null;
        }

        int gap = line.IndexOfAny(' ', '\t');
        if (gap < 0)
        {
            return LooksLikeAddress(line) ? AddNetwork(line, networks) : AddDomain(line, domains);
        }

        ReadOnlySpan<char> address = line[..gap];
        if (!IPAddress.TryParse(address, out _) || address.Contains('/'))
        {
            return $"'{address}' is not an address: a line is one domain or network, or a hosts-file line (an address, then names)";
        }

        string? firstError = null;
        ReadOnlySpan<char> rest = line[gap..];
        while (!(rest = rest.TrimStart()).IsEmpty)
        {
            int end = rest.IndexOfAny(' ', '\t');
            ReadOnlySpan<char> name = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[end..];
            if (!HostsPreamble.GetAlternateLookup<ReadOnlySpan<char>>().Contains(name))
            {
                firstError ??= AddDomain(name, domains);
            }
        }

        return firstError;
    }

    // An entry of digits and dots is meant as an IPv4 address, so "10.0.0" is a bad address and
    // not the name of a host; ':' and '/' are never in a name.
    private static bool LooksLikeAddress(ReadOnlySpan<char> entry) =>
        entry.ContainsAny(':', '/') || !entry.ContainsAnyExcept(DigitsAndDots);

    private static string? AddNetwork(ReadOnlySpan<char> entry, AddressSet.Builder networks)
    {
        string text = entry.ToString();
        if (!IpNetwork.TryParse(text, out IpNetwork? network, out string error))
        {
            return $"invalid network '{text}': {error}";
        }

        networks.Add(network);
        return null;
    }

    private static string? AddDomain(ReadOnlySpan<char> entry, HashSet<string> domains)
    {
        if (DomainName.Normalise(entry, out string? name) is { } error)
        {
            return error;
        }

        domains.Add(name!);
        return null;
    }

    public bool Equals(ListFile? other) =>
        other is not null && Path == other.Path && Domains.Equals(other.Domains) && Networks.Equals(other.Networks);

    public override bool Equals(object? obj) => Equals(obj as ListFile);

    public override int GetHashCode() => HashCode.Combine(Path, Domains, Networks);

    /// <summary>For the policy's log line: the path and what it holds.</summary>
    public override string ToString() => $"{Path} ({Domains.Count} domain(s), {Networks})";
}
