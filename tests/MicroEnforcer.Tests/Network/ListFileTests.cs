using System.Globalization;
using System.Net;
using System.Text;
using MicroEnforcer.Network;
using Xunit;

namespace MicroEnforcer.Tests.Network;

public sealed class ListFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("microenforcer-listfile-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static ListFile Read(string text) => ListFile.Read("/lists/block.txt", new MemoryStream(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void HostsFileLines_ListTheirNames_NotTheirAddress()
    {
        ListFile file = Read("""
            # a hosts-file blocklist
            127.0.0.1 localhost
            ::1 localhost ip6-localhost ip6-loopback
            0.0.0.0 0.0.0.0
            0.0.0.0 bad.example other.example   # two names
            127.0.0.1	Tracker.Example.
            ::1 v6.example

            """);

        Assert.Empty(file.Warnings);
        Assert.Equal(4, file.Domains.Count);
        Assert.Equal("bad.example", file.Domains.Match("ads.bad.example"));
        Assert.Equal("other.example", file.Domains.Match("other.example"));
        Assert.Equal("tracker.example", file.Domains.Match("tracker.example"));
        Assert.Equal("v6.example", file.Domains.Match("v6.example"));
        Assert.Null(file.Domains.Match("localhost"));   // the preamble's own names are not a blocklist
        Assert.True(file.Networks.IsEmpty);              // nor is the sinkhole address
        Assert.Null(file.Networks.Match(IPAddress.Parse("0.0.0.0")));
    }

    [Fact]
    public void OneEntryPerLine_DomainsAndNetworks()
    {
        ListFile file = Read("""
            evil.example
            *.wild.example
            198.51.100.7
            203.0.113.0/24
            2001:db8::/32
              spaced.example  
            192.0.2.0/24 ; SBL000001
            ; a Spamhaus DROP header
            """);

        Assert.Empty(file.Warnings);
        Assert.Equal(3, file.Domains.Count);
        Assert.Equal("wild.example", file.Domains.Match("a.wild.example"));
        Assert.Equal("spaced.example", file.Domains.Match("spaced.example"));
        Assert.Equal("198.51.100.7/32", file.Networks.Match(IPAddress.Parse("198.51.100.7"))?.ToString());
        Assert.Equal("203.0.113.0/24", file.Networks.Match(IPAddress.Parse("203.0.113.9"))?.ToString());
        Assert.Equal("2001:db8::/32", file.Networks.Match(IPAddress.Parse("2001:db8::9"))?.ToString());
        Assert.Equal("/lists/block.txt (3 domain(s), 3 IPv4 and 1 IPv6 network(s))", file.ToString());
    }

    [Fact]
    public void BadLines_AreWarningsWithFileAndLine_AndTheRestLoads()
    {
        ListFile file = Read("""
            good.example
            bad name.example
            10.0.0.1/8
            10.0.0
            0.0.0.0 fine.example wrong/name.example
            ||adblock.example^
            notanaddress one.example
            also-good.example
            """);

        Assert.Equal(["good.example", "fine.example", "also-good.example"], new[] { "good.example", "fine.example", "also-good.example" }.Where(n => file.Domains.Match(n) == n));
        Assert.Equal(3, file.Domains.Count);
        Assert.True(file.Networks.IsEmpty);
        Assert.Collection(file.Warnings,
            w => Assert.StartsWith("/lists/block.txt:2: 'bad' is not an address", w, StringComparison.Ordinal),
            w => Assert.StartsWith("/lists/block.txt:3: invalid network '10.0.0.1/8': host bits are set", w, StringComparison.Ordinal),
            w => Assert.StartsWith("/lists/block.txt:4: invalid network '10.0.0'", w, StringComparison.Ordinal),
            w => Assert.StartsWith("/lists/block.txt:5: 'wrong/name.example' has an invalid character '/' at position 6", w, StringComparison.Ordinal),
            w => Assert.StartsWith("/lists/block.txt:6: '||adblock.example^' has an invalid character '|' at position 1", w, StringComparison.Ordinal),
            w => Assert.StartsWith("/lists/block.txt:7: 'notanaddress' is not an address", w, StringComparison.Ordinal));
    }

    [Fact]
    public void ManyBadLines_KeepAHundredWarningsAndCountTheRest()
    {
        ListFile file = Read(string.Concat(Enumerable.Repeat("bad$name\n", 250)) + "ok.example\n");

        Assert.Equal(ListFile.MaxWarnings + 1, file.Warnings.Count);
        Assert.Equal("/lists/block.txt: 150 more bad line(s) not shown", file.Warnings[^1]);
        Assert.Equal(1, file.Domains.Count);
    }

    [Fact]
    public void Load_ReadsAFile_AndSaysWhyItCannot()
    {
        string path = Path.Combine(_directory, "hosts");
        File.WriteAllText(path, "\uFEFF0.0.0.0 bom.example\nbad$\n");

        Assert.Null(ListFile.Load(path, out ListFile file, out IReadOnlyList<string> warnings));
        Assert.Equal("bom.example", file.Domains.Match("bom.example"));
        Assert.Equal([$"{path}:2: 'bad$' has an invalid character '$' at position 4; a domain name has letters, digits, '-', '_' and dots"], warnings);

        Assert.Equal("no such file", ListFile.Load(Path.Combine(_directory, "missing"), out _, out _));
        Assert.Equal("it is not a regular file", ListFile.Load("/dev/zero", out _, out _));   // it would never end
        Assert.Equal("no such file", ListFile.Load(Path.Combine(_directory, "nodir", "x"), out _, out _));
        Assert.Equal("it is a directory, not a file", ListFile.Load(_directory, out _, out _));
    }

    [Fact]
    public void LinesLongerThanTheReadBuffer_AndAMissingLastNewline_AndCrLf()
    {
        string longName = string.Join('.', Enumerable.Repeat(new string('a', 60), 4));   // 243 characters
        var text = new StringBuilder();
        for (int i = 0; i < 5000; i++)
            text.Append(CultureInfo.InvariantCulture, $"0.0.0.0 n{i}.{longName[..200]}\r\n");
        text.Append("# padding ").Append('x', 200_000).Append('\n');          // one line longer than the 64 KiB buffer
        text.Append("last.example");                                           // no newline at the end

        ListFile file = Read(text.ToString());

        Assert.Empty(file.Warnings);
        Assert.Equal(5001, file.Domains.Count);
        Assert.NotNull(file.Domains.Match($"n4999.{longName[..200]}"));
        Assert.Equal("last.example", file.Domains.Match("last.example"));
    }

    [Fact]
    public void ALineOverAMebibyte_IsSkippedWithAWarning_NotKept()
    {
        string text = "first.example\n" + new string('x', ListFile.MaxLineBytes * 3) + "\nafter.example\n" + new string('y', ListFile.MaxLineBytes + 1);

        ListFile file = Read(text);

        Assert.Equal(2, file.Domains.Count);
        Assert.Equal("after.example", file.Domains.Match("after.example"));
        Assert.Equal(["/lists/block.txt:2: the line is longer than 1024 KiB; not a list line", "/lists/block.txt:4: the line is longer than 1024 KiB; not a list line"], file.Warnings);
    }

    [Fact]
    public void Equal_ForTheSamePathAndEntries()
    {
        Assert.Equal(Read("a.example\n10.0.0.0/8\n"), Read("# same\nA.example.\n10.0.0.0/8\n10.1.0.0/16\n"));
        Assert.NotEqual(Read("a.example\n"), Read("b.example\n"));
    }
}
