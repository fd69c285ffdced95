using MicroEnforcer.Controls;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

/// <summary>Which interpreter command lines read their program from stdin (the relay rule's first question).</summary>
public sealed class InterpreterInputTests
{
    [Theory]
    // Shells: no operand, -i, -s, login shells, options with values.
    [InlineData("sh", "sh")]
    [InlineData("sh", "sh -i")]
    [InlineData("bash", "bash -li")]
    [InlineData("sh", "sh -s arg1 arg2")]
    [InlineData("bash", "bash -o pipefail")]
    [InlineData("bash", "bash --norc --noprofile")]
    [InlineData("bash", "bash --rcfile /etc/x")]
    [InlineData("sh", "sh -")]
    [InlineData("sh", "sh --")]
    [InlineData("zsh", "zsh -x")]
    [InlineData("sh", "sh +x")]
    // Script interpreters with no program argument, or told to go interactive.
    [InlineData("python3", "python3")]
    [InlineData("python3.12", "python3.12 -u")]
    [InlineData("python3", "python3 -")]
    [InlineData("python3", "python3 -i script.py")]
    [InlineData("python3", "python3 -W ignore")]
    [InlineData("perl", "perl")]
    [InlineData("perl", "perl -w")]
    [InlineData("ruby", "ruby")]
    [InlineData("php", "php")]
    [InlineData("php", "php -a")]
    [InlineData("node", "node")]
    [InlineData("node", "node -i")]
    [InlineData("lua5.4", "lua5.4 -")]
    [InlineData("tclsh", "tclsh")]
    public void ReadsItsProgramFromStdin(string name, string commandLine)
    {
        Assert.True(InterpreterInput.ReadsProgramFromStdin(name, commandLine.Split(' ')), commandLine);
    }

    [Theory]
    // A command string or a script file: the program is not the stream on stdin.
    [InlineData("sh", "sh -c true")]
    [InlineData("sh", "sh -ec true")]
    [InlineData("bash", "bash -ic true")]
    [InlineData("sh", "sh -xe script.sh")]
    [InlineData("sh", "sh script.sh")]
    [InlineData("sh", "sh -o pipefail script.sh")]
    [InlineData("bash", "bash --rcfile /etc/x script.sh")]
    [InlineData("sh", "sh -- script.sh")]
    [InlineData("fish", "fish --command=ls")]
    [InlineData("python3", "python3 -c print(1)")]
    [InlineData("python3", "python3 -uc print(1)")]
    [InlineData("python3", "python3 -m http.server")]
    [InlineData("python3", "python3 app.py")]
    [InlineData("python3", "python3 -W ignore app.py")]
    [InlineData("perl", "perl -e print")]
    [InlineData("perl", "perl -le print")]
    [InlineData("perl", "perl -Mstrict app.pl")]
    [InlineData("ruby", "ruby -e puts")]
    [InlineData("php", "php -r echo;")]
    [InlineData("php", "php index.php")]
    [InlineData("node", "node -e 1")]
    [InlineData("node", "node --eval=1")]
    [InlineData("node", "node server.js")]
    [InlineData("node", "node -r dotenv/config server.js")]
    [InlineData("lua", "lua -e x=1")]
    [InlineData("tclsh", "tclsh app.tcl")]
    // Relays and one-shot tools never read a program from stdin.
    [InlineData("nc", "nc -l -p 4444")]
    [InlineData("socat", "socat -")]
    [InlineData("awk", "awk")]
    [InlineData("ssh", "ssh")]
    public void DoesNotReadItsProgramFromStdin(string name, string commandLine)
    {
        Assert.False(InterpreterInput.ReadsProgramFromStdin(name, commandLine.Split(' ')), commandLine);
    }
}
