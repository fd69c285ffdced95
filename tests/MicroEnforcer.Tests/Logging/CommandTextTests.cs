using MicroEnforcer.Logging;
using Xunit;

namespace MicroEnforcer.Tests.Logging;

public sealed class CommandTextTests
{
    [Fact]
    public void PlainArgumentsAreJoined() =>
        Assert.Equal("nginx -g x", CommandText.Format(["nginx", "-g", "x"]));

    [Fact]
    public void ArgumentsWithSpacesAreQuoted() =>
        Assert.Equal("nginx -g \"daemon off;\"", CommandText.Format(["nginx", "-g", "daemon off;"]));

    [Fact]
    public void NewlinesCannotForgeALogLine() =>
        Assert.Equal("sh -c \"a\\nmicroenforcer: info: forged\"", CommandText.Format(["sh", "-c", "a\nmicroenforcer: info: forged"]));

    [Fact]
    public void LongCommandsAreCut()
    {
        string text = CommandText.Format(["sh", "-c", new string('x', 1000)]);
        Assert.Equal(CommandText.MaxLength + 1, text.Length);
        Assert.EndsWith("…", text, StringComparison.Ordinal);
    }
}
