using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

public class ReverseShellPolicyTests
{
    private static readonly ReverseShellPolicy Default =
        new(true, EnforcementMode.Enforce, [], [], ReverseShellPolicy.DefaultInterpreters);

    [Theory]
    [InlineData("sh", true)]
    [InlineData("bash", true)]
    [InlineData("dash", true)]
    [InlineData("ash", true)]
    [InlineData("busybox", true)]
    [InlineData("python", true)]
    [InlineData("python3", true)]
    [InlineData("python3.12", true)]
    [InlineData("perl5.36.0", true)]
    [InlineData("ruby", true)]
    [InlineData("php-fpm", true)]
    [InlineData("php8.2", true)]
    [InlineData("node", true)]
    [InlineData("nodejs", true)]
    [InlineData("luajit", true)]
    [InlineData("lua5.4", true)]
    [InlineData("tclsh8.6", true)]
    [InlineData("wish", true)]
    [InlineData("nc", true)]
    [InlineData("ncat", true)]
    [InlineData("netcat", true)]
    [InlineData("socat", true)]
    [InlineData("telnet", true)]
    [InlineData("gawk", true)]
    [InlineData("ssh", true)]
    [InlineData("openssl", true)]
    [InlineData("/bin/sh", true)] // a path is reduced to its file name
    [InlineData("/usr/local/bin/python3.11", true)]
    [InlineData("nginx", false)]
    [InlineData("node_exporter", false)] // "node" has no '*': the whole name must match
    [InlineData("shx", false)]
    [InlineData("xsh", false)]
    [InlineData("bash.real", false)]
    [InlineData("Bash", false)] // Linux file names are case-sensitive
    [InlineData("PYTHON3", false)]
    [InlineData("ipython", false)] // '*' only where the pattern has one
    [InlineData("sshd", false)]
    [InlineData("", false)]
    [InlineData("/usr/bin/", false)]
    [InlineData("/bin/sh/", false)]
    [InlineData("/sh/curl", false)]
    public void DefaultInterpreters_Match(string fileName, bool expected)
    {
        Assert.Equal(expected, Default.IsInterpreter(fileName));
    }

    [Fact]
    public void DefaultInterpreters_AreTheDocumentedList()
    {
        Assert.Equal(
            [
                "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox",
                "python*", "perl*", "ruby*", "php*", "node", "nodejs", "lua*", "tclsh*", "wish*",
                "nc", "ncat", "netcat", "socat", "telnet", "awk", "gawk", "mawk", "nawk", "ssh", "openssl",
            ],
            ReverseShellPolicy.DefaultInterpreters);
        Assert.IsNotAssignableFrom<ICollection<string>>(ReverseShellPolicy.DefaultInterpreters);   // nothing to add to it with
    }

    [Fact]
    public void IsInterpreter_NullIsAnError()
    {
        Assert.Throws<ArgumentNullException>(() => Default.IsInterpreter(null!));
    }
}
