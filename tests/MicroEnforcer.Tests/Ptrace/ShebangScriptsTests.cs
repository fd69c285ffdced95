using System.Text;
using MicroEnforcer.Ptrace;
using Xunit;

namespace MicroEnforcer.Tests.Ptrace;

/// <summary>The "#!" line as fs/binfmt_script.c reads it, and finding the script in the argv the kernel built.</summary>
public sealed class ShebangScriptsTests
{
    // "interpreter|argument", "-" for no argument; null where the kernel answers ENOEXEC.
    private static string? Parse(string head)
    {
        var s = ShebangScripts.Parse(Encoding.Latin1.GetBytes(head));
        return s is null ? null : Encoding.Latin1.GetString(s.Interpreter) + "|" + (s.Argument is null ? "-" : Encoding.Latin1.GetString(s.Argument));
    }

    [Theory]
    [InlineData("#!/bin/sh\necho hi\n", "/bin/sh", null)]
    [InlineData("#!/bin/sh -e\n", "/bin/sh", "-e")]
    [InlineData("#! /bin/sh\n", "/bin/sh", null)]
    [InlineData("#!\t/bin/sh \t\n", "/bin/sh", null)]
    [InlineData("#!/usr/bin/env python3 -u -B\n", "/usr/bin/env", "python3 -u -B")]   // one argument, blanks and all
    [InlineData("#!/bin/sh  -e  \n", "/bin/sh", "-e")]
    [InlineData("#!/usr/bin/perl -eprint(1)\r\n", "/usr/bin/perl", "-eprint(1)\r")]
    [InlineData("#!/bin/sh", "/bin/sh", null)]                                       // no newline: the zero padding ends it
    [InlineData("#!/bin/sh\0 -x\n", "/bin/sh", null)]                                // a NUL ends the line
    [InlineData("#!/bin/sh -a\0b\n", "/bin/sh", "-a")]
    public void ParsesLikeTheKernel(string head, string interpreter, string? argument)
    {
        Assert.Equal(interpreter + "|" + (argument ?? "-"), Parse(head));
    }

    [Theory]
    [InlineData("\x7f" + "ELF")]
    [InlineData("#!\n")]
    [InlineData("#!   \n")]
    [InlineData("#")]
    [InlineData("")]
    public void NotAScript(string head)
    {
        Assert.Null(Parse(head));
    }

    [Fact]
    public void AnInterpreterNameCutOffByTheBufferIsNotAScript()
    {
        Assert.Null(Parse("#!/" + new string('a', 300)));
        // With a blank before the buffer's end the name is whole; the argument is cut.
        Assert.Equal("/bin/sh|" + new string('b', 245), Parse("#!/bin/sh " + new string('b', 300)));
    }

    [Fact]
    public void FindsTheFilenameAfterTheInterpreterAndItsArgument()
    {
        static List<byte[]> Argv(params string[] a) => [.. a.Select(Encoding.UTF8.GetBytes)];
        byte[] name = Encoding.UTF8.GetBytes("/dev/fd/5");

        Assert.Equal(1, ShebangScripts.FindFilename(Argv("/bin/sh", "/dev/fd/5"), name));
        Assert.Equal(2, ShebangScripts.FindFilename(Argv("/bin/sh", "-e", "/dev/fd/5", "/dev/fd/5"), name));
        Assert.Equal(-1, ShebangScripts.FindFilename(Argv("/dev/fd/5"), name));   // argv[0] is never the script
        Assert.Equal(-1, ShebangScripts.FindFilename(Argv("sh", "/tmp/x.sh"), name));
    }

    [Fact]
    public void SplitsTheCommandLineAndDropsACutOffTail()
    {
        var argv = ShebangScripts.SplitArgv("/bin/sh\0-e\0/tmp/x\0cut"u8);
        Assert.Equal(["/bin/sh", "-e", "/tmp/x"], argv.Select(Encoding.UTF8.GetString));
    }
}
