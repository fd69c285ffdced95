using MicroEnforcer.Ptrace;
using Xunit;

namespace MicroEnforcer.Tests.Ptrace;

public sealed class LoaderEnvironmentTests
{
    private static string[] Split(string list, string separators, bool keepEmpty = false) =>
        [.. LoaderEnvironment.Split(System.Text.Encoding.Latin1.GetBytes(list), System.Text.Encoding.Latin1.GetBytes(separators), keepEmpty)
            .Select(System.Text.Encoding.Latin1.GetString)];

    [Fact]
    public void PreloadListsSplitAtSpacesAndColonsAsGlibcDoes()
    {
        Assert.Equal(["/a.so", "b.so", "/c", "d"], Split("/a.so  b.so:/c d", " :"));
        Assert.Equal(["/x\t/y"], Split("/x\t/y", " :"));   // a tab is part of the name for glibc
        Assert.Empty(Split("", " :"));
    }

    [Fact]
    public void LibraryPathKeepsEmptyEntriesWhichMeanTheCwd()
    {
        Assert.Equal(["/a", "", "b", ""], Split("/a:;b:", ":;", keepEmpty: true));
        Assert.Empty(Split("", ":;", keepEmpty: true));
    }
}
