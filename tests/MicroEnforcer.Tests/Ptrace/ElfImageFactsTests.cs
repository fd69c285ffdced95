using MicroEnforcer.Baseline;
using MicroEnforcer.Ptrace;
using Xunit;

namespace MicroEnforcer.Tests.Ptrace;

public sealed class ElfImageFactsTests
{
    private static FileSignature Signature(string path)
    {
        Assert.Equal(0, FileSignature.TryRead(path, out FileSignature signature));
        return signature;
    }

    [Fact]
    public void StaticImageHasNoInterpreterAndDynamicOneHas()
    {
        Assert.False(ElfImageFacts.Read("/bin/busybox", Signature("/bin/busybox")));   // busybox-static
        Assert.True(ElfImageFacts.Read("/usr/bin/env", Signature("/usr/bin/env")));
    }

    [Fact]
    public void TheElfInterpreterIsToldFromProgramsAndStaticPies()
    {
        const string Ld = "/lib64/ld-linux-x86-64.so.2";
        Assert.Equal(new ElfImageFacts.Facts(false, ElfImageFacts.LoaderKind.Glibc), ElfImageFacts.ReadFacts(Ld, Signature(Ld)));
        Assert.Equal(new ElfImageFacts.Facts(true, ElfImageFacts.LoaderKind.None), ElfImageFacts.ReadFacts("/usr/bin/env", Signature("/usr/bin/env")));
        Assert.Equal(new ElfImageFacts.Facts(false, ElfImageFacts.LoaderKind.None), ElfImageFacts.ReadFacts("/bin/busybox", Signature("/bin/busybox")));

        // A static PIE is a shared object without PT_INTERP too: DF_1_PIE says it is a program.
        string dir = Directory.CreateTempSubdirectory("elf-facts-").FullName;
        try
        {
            string source = Path.Combine(dir, "p.c"), pie = Path.Combine(dir, "pie"), library = Path.Combine(dir, "lib.so");
            File.WriteAllText(source, "int f(void) { return 0; }\nint main(void) { return f(); }\n");
            Assert.Equal(0, System.Diagnostics.Process.Start("gcc", ["-static-pie", "-o", pie, source])!.WaitForExitAndGetCode());
            Assert.Equal(0, System.Diagnostics.Process.Start("gcc", ["-shared", "-fPIC", "-o", library, source])!.WaitForExitAndGetCode());
            Assert.Equal(new ElfImageFacts.Facts(false, ElfImageFacts.LoaderKind.None), ElfImageFacts.ReadFacts(pie, Signature(pie)));
            Assert.Equal(new ElfImageFacts.Facts(false, ElfImageFacts.LoaderKind.Other), ElfImageFacts.ReadFacts(library, Signature(library)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ThisProcessIsDynamicallyLinked()
    {
        var facts = new ElfImageFacts();
        FileSignature self = Signature($"/proc/{Environment.ProcessId}/exe");
        Assert.True(facts.HasInterpreter(Environment.ProcessId, self));
        Assert.True(facts.HasInterpreter(Environment.ProcessId, self));   // remembered
    }

    [Fact]
    public void FileChangedSinceItsSignatureIsUnknown()
    {
        // Same size, same mtime, other content: only the ctime (and the content) moved.
        string path = Path.GetTempFileName();
        try
        {
            File.Copy("/bin/busybox", path, overwrite: true);
            FileSignature before = Signature(path);
            DateTime mtime = File.GetLastWriteTimeUtc(path);
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
                stream.Write("\x7f"u8);
            File.SetLastWriteTimeUtc(path, mtime);

            Assert.Null(ElfImageFacts.Read(path, before));
            Assert.False(ElfImageFacts.Read(path, Signature(path)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("#!/bin/sh\necho hi\n")]
    [InlineData("\x7f" + "ELF")]
    [InlineData("")]
    public void WhatIsNotAnElfHeaderIsUnknown(string content)
    {
        Assert.Null(ElfImageFacts.ProgramHeaders(System.Text.Encoding.Latin1.GetBytes(content)));
    }

    [Fact]
    public void ProgramHeaderTableTheKernelRefusesIsUnknown()
    {
        byte[] header = File.ReadAllBytes("/bin/busybox")[..64];
        Assert.NotNull(ElfImageFacts.ProgramHeaders(header));
        header[54] = 32;   // e_phentsize of a 32-bit table in a 64-bit file
        Assert.Null(ElfImageFacts.ProgramHeaders(header));
        header[54] = 56;
        header[56] = 0;   // no program headers at all
        header[57] = 0;
        Assert.Null(ElfImageFacts.ProgramHeaders(header));
    }
}

internal static class ProcessExtensions
{
    public static int WaitForExitAndGetCode(this System.Diagnostics.Process process)
    {
        process.WaitForExit();
        return process.ExitCode;
    }
}
