using System.Buffers;
using System.Net;
using System.Text;
using MicroEnforcer.Interop;
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
/// from a '#' or ';' on is a comment; blank lines are skipped. A bad line is a warning
/// ("FILE:LINE: reason") and the rest still loads: a blocklist fetched from elsewhere is not the
/// policy author's text, and one odd line should not leave a container unprotected or unable to
/// start. A file that cannot be read at all is an error, which refuses the policy.
/// </remarks>
public sealed class ListFile : IEquatable<ListFile>
{
    /// <summary>Warnings kept per file; past them, one more says how many bad lines were not shown.</summary>
    public const int MaxWarnings = 100;

    /// <summary>The longest line read: past it, a line is skipped with a warning, not kept in memory.</summary>
    public const int MaxLineBytes = 1024 * 1024;

    // What hosts files map to themselves before their blocklist (StevenBlack's and the
    // distributions' preambles): listing them would refuse the container's own loopback names.
    private static readonly HashSet<string> HostsPreamble = new(StringComparer.OrdinalIgnoreCase)
    {
        "localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost", "ip6-loopback",
        "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters", "ip6-allhosts", "0.0.0.0",
    };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> HostsPreambleLookup = HostsPreamble.GetAlternateLookup<ReadOnlySpan<char>>();

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
        // A regular file only: a FIFO would block the start, and /dev/zero would never end.
        if (NativePath.Statx(path, 0, out Libc.statx st) != 0)
        {
            return Libc.LastErrno switch
            {
                Libc.ENOENT or Libc.ENOTDIR => "no such file",
                Libc.EACCES => "permission denied",
                int errno => $"cannot read it (errno {errno})",
            };
        }

        if ((st.stx_mode & Libc.S_IFMT) != Libc.S_IFREG)
        {
            return (st.stx_mode & Libc.S_IFMT) == Libc.S_IFDIR ? "it is a directory, not a file" : "it is not a regular file";
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            file = Read(path, stream);
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

    /// <summary>
    /// Reads a list (UTF-8) from <paramref name="stream"/>; <paramref name="path"/> names it in
    /// warnings. Lines are cut from a byte buffer and decoded into one reused char buffer, so a
    /// line costs no allocation unless it lists a name (kept) or is bad (the warning).
    /// </summary>
    public static ListFile Read(string path, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        // The file's length bounds what its names take: the names' array is allocated once.
        var domains = new DomainSet.Builder(expectedBytes: stream.CanSeek ? stream.Length : 0);
        var networks = new AddressSet.Builder();
        var warnings = new List<string>();
        int badLines = 0;
        int lineNumber = 0;
        byte[] buffer = new byte[64 * 1024];
        char[] line = new char[1024];
        int start = 0, end = 0;
        bool endOfFile = false, overlong = false;
        while (true)
        {
            int newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
            if (newline < 0 && !endOfFile)
            {
                if (start == 0 && end == buffer.Length && buffer.Length >= MaxLineBytes)
                {
                    // Not a list line (a binary file?): drop it up to its end, and say so once there.
                    overlong = true;
                    end = 0;
                }
                else if (start == 0 && end == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);   // a long line: keep all of it
                }
                else
                {
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    end -= start;
                    start = 0;
                }

                int read = stream.Read(buffer, end, buffer.Length - end);
                endOfFile = read == 0;
                end += read;
                continue;
            }

            if (newline < 0 && start == end && !overlong)
            {
                break;
            }

            if (overlong)
            {
                start = newline < 0 ? end : start + newline + 1;
                overlong = false;
                lineNumber++;
                if (++badLines <= MaxWarnings)
                {
                    warnings.Add($"{path}:{lineNumber}: the line is longer than {MaxLineBytes / 1024} KiB; not a list line");
                }

                continue;
            }

            ReadOnlySpan<byte> bytes = buffer.AsSpan(start, newline < 0 ? end - start : newline);
            start = newline < 0 ? end : start + newline + 1;
            lineNumber++;
            if (lineNumber == 1 && bytes.StartsWith("\uFEFF"u8))
            {
                bytes = bytes[3..];
            }

            if (line.Length < bytes.Length)
            {
                line = new char[bytes.Length];
            }

            int length = Encoding.UTF8.GetChars(bytes, line);
            if (ReadLine(line.AsSpan(0, length), domains, networks) is { } reason && ++badLines <= MaxWarnings)
            {
                warnings.Add($"{path}:{lineNumber}: {reason}");
            }
        }

        if (badLines > MaxWarnings)
        {
            warnings.Add($"{path}: {badLines - MaxWarnings} more bad line(s) not shown");
        }

        return new ListFile(path, domains.Build(), networks.Build(), warnings);
    }

    /// <summary>Adds what one line lists; null, or why (some of) it was skipped.</summary>
    private static string? ReadLine(ReadOnlySpan<char> line, DomainSet.Builder domains, AddressSet.Builder networks)
    {
        // '#' as in hosts files; ';' as in Spamhaus's DROP lists ("1.10.16.0/20 ; SBL256894"). Neither is in a name or an address.
        int comment = line.IndexOfAny('#', ';');
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
            if (!HostsPreambleLookup.Contains(name))
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
        Span<byte> address = stackalloc byte[16];
        if (IpNetwork.Parse(entry, address, out int length, out int prefix) is { } error)
        {
            return $"invalid network '{entry}': {error}";
        }

        networks.Add(address[..length], prefix);
        return null;
    }

    private static string? AddDomain(ReadOnlySpan<char> entry, DomainSet.Builder domains)
    {
        Span<char> name = stackalloc char[DomainName.MaxLength];
        if (DomainName.Normalise(entry, name, out int length) is { } error)
        {
            return error;
        }

        domains.Add(name[..length]);
        return null;
    }

    public bool Equals(ListFile? other) =>
        other is not null && Path == other.Path && Domains.Equals(other.Domains) && Networks.Equals(other.Networks);

    public override bool Equals(object? obj) => Equals(obj as ListFile);

    public override int GetHashCode() => HashCode.Combine(Path, Domains, Networks);

    /// <summary>For the policy's log line: the path and what it holds.</summary>
    public override string ToString() => $"{Path} ({Domains.Count} domain(s), {Networks})";
}
