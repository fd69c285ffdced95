namespace MicroEnforcer.IntegrationTests.Harness;

/// <summary>
/// The test image: a root filesystem with no libc at all (busybox-static, static test programs,
/// the static enforcer under /.microenforcer). Built once per test run; each container mounts it
/// read-only as the lower layer of its own overlay, as a container runtime does.
/// </summary>
internal sealed class ImageRootfs
{
    private static readonly Lazy<ImageRootfs> s_shared = new(() => new ImageRootfs(withBash: false));
    private static readonly Lazy<ImageRootfs> s_withBash = new(() => new ImageRootfs(withBash: true));
    private static readonly Lazy<ImageRootfs> s_withNetworkTools = new(() => new ImageRootfs(withBash: false, withNetworkTools: true));

    /// <summary>The default test image: nothing dynamically linked, no libc at all.</summary>
    public static ImageRootfs Shared => s_shared.Value;

    /// <summary>The same plus the host's bash and the shared libraries it needs (bash's /dev/tcp).</summary>
    public static ImageRootfs WithBash => s_withBash.Value;

    /// <summary>
    /// The default image plus real network tools and their shared libraries: a DNS server
    /// (dnsmasq) with the test zones of <see cref="DnsFixture"/>, resolvers (glibc's getent with
    /// "hosts: files dns", dig, a static musl program, busybox's nslookup), nmap with its data, and
    /// OpenBSD's nc (busybox's has no -z); miners by name (copies of hello).
    /// </summary>
    public static ImageRootfs WithNetworkTools => s_withNetworkTools.Value;

    /// <summary>Test programs, built statically into /opt/tests in the image.</summary>
    public static readonly string[] Programs =
        ["hello", "pwned", "exec_race", "execat", "exec_compat", "fileless", "fork_bomb", "revshell", "stdio_socket",
         "stale", "deadlock", "memfd_script", "pid1", "io_uring", "fork_churn", "script_race", "pty_relay", "capprobe", "sim_calls", "ptrace_attack", "enter_like_runc", "file_attack", "file_ops", "attr_attack", "net_attack", "accept_check", "open_loop"];

    /// <summary>The overlay's lowerdir: one directory, or several separated by ':' (the top layer first).</summary>
    public string Path { get; }

    private ImageRootfs(string layers) => Path = layers;

    /// <summary>
    /// The shared image under one more image layer of the test's own (<paramref name="layer"/>),
    /// which overlay copies up on the first change of metadata, as a container runtime's image does.
    /// </summary>
    public static ImageRootfs WithLayer(string layer) => new($"{layer}:{Shared.Path}");

    private ImageRootfs(bool withBash, bool withNetworkTools = false)
    {
        Prerequisites.Require();
        Path = Directory.CreateTempSubdirectory("microenforcer-image-").FullName;
        string path = Path;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        foreach (string dir in new[] { "bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin", "opt/tests", "etc", "proc", "dev", "tmp", "root", "var", ".microenforcer" })
            Directory.CreateDirectory(System.IO.Path.Combine(Path, dir));

        File.Copy("/bin/busybox", System.IO.Path.Combine(Path, "bin/busybox"));
        var applets = ProcessRunner.Run("/bin/busybox", ["--list-full"], TimeSpan.FromSeconds(30)).Stdout;
        foreach (string applet in applets.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string link = System.IO.Path.Combine(Path, applet);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(link)!);
            if (!File.Exists(link) && applet != "bin/busybox")
                File.CreateSymbolicLink(link, "/bin/busybox");
        }

        string sources = System.IO.Path.Combine(AppContext.BaseDirectory, "TestPrograms");
        foreach (string program in Programs)
        {
            string output = System.IO.Path.Combine(Path, "opt/tests", program);
            var args = new List<string> { "-static", "-O2", "-pthread", "-o", output, System.IO.Path.Combine(sources, program + ".c") };
            if (program is "exec_compat" or "sim_calls" or "ptrace_attack" or "file_attack" or "file_ops" or "attr_attack" or "net_attack")   // their i386 calls pass static buffers: below 4 GiB
                args.Insert(0, "-no-pie");
            ProcessRunner.Check("gcc", [.. args]);
        }
        // A stand-in ELF interpreter: no libc, it writes the marker itself and exits 42.
        ProcessRunner.Check("gcc", "-nostdlib", "-static-pie", "-fPIE", "-O2", "-o", System.IO.Path.Combine(Path, "opt/tests/fakeld"),
            System.IO.Path.Combine(sources, "fakeld.c"));
        // An i386 program (no 32-bit libc here: assembled and linked directly).
        string exit32 = System.IO.Path.Combine(Path, "opt/tests/exit32");
        ProcessRunner.Check("as", "--32", "-o", exit32 + ".o", System.IO.Path.Combine(sources, "exit32.s"));
        ProcessRunner.Check("ld", "-m", "elf_i386", "-o", exit32, exit32 + ".o");
        File.Delete(exit32 + ".o");
        // capprobe as a setuid-root binary and as one with the file capability cap_net_raw+ep: what
        // Limit New Privileges and Capabilities Block must keep from elevating anyone.
        string capprobe = System.IO.Path.Combine(Path, "opt/tests/capprobe");
        File.Copy(capprobe, capprobe + "_suid");
        File.SetUnixFileMode(capprobe + "_suid", (UnixFileMode)0x9ed);   // 04755, owned by root
        File.Copy(capprobe, capprobe + "_fcap");
        ProcessRunner.Check("setcap", "cap_net_raw+ep", capprobe + "_fcap");
        // An interpreter's name for a plain program: the reverse-shell control judges by name.
        File.Copy(System.IO.Path.Combine(Path, "opt/tests/stdio_socket"), System.IO.Path.Combine(Path, "opt/tests/python-sim"));
        // A copy of a test program that is not executable: the image has it, but only as data.
        File.Copy(System.IO.Path.Combine(Path, "opt/tests/pwned"), System.IO.Path.Combine(Path, "opt/tests/pwned.data"));
        File.SetUnixFileMode(System.IO.Path.Combine(Path, "opt/tests/pwned.data"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        // Image scripts: plain, with a shebang argument (the script is the interpreter's argv[2]),
        // and through env. Silent without arguments (the race loops), else they say who ran.
        WriteScript("opt/tests/ok.sh", "#!/bin/sh\n[ $# -eq 0 ] || echo \"script-ok $*\"\n");
        WriteScript("opt/tests/ok_e.sh", "#!/bin/sh -e\n[ $# -eq 0 ] || echo \"script-e-ok $*\"\n");
        WriteScript("opt/tests/ok_env.sh", "#!/usr/bin/env sh\n[ $# -eq 0 ] || echo \"script-env-ok $*\"\n");

        File.Copy(Prerequisites.EnforcerBinary, System.IO.Path.Combine(Path, ".microenforcer/microenforcer"));
        File.WriteAllText(System.IO.Path.Combine(Path, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n");
        File.WriteAllText(System.IO.Path.Combine(Path, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
        if (withBash)
        {
            AddDynamicExecutable("/bin/bash");
            // A dynamically linked image binary: the kernel maps its ELF interpreter at exec.
            ProcessRunner.Check("gcc", "-O2", "-o", System.IO.Path.Combine(Path, "opt/tests/hello_dyn"), System.IO.Path.Combine(sources, "hello.c"));
            AddLoaderFixtures(sources);
        }
        if (withNetworkTools)
            AddNetworkTools(sources);
    }

    // The real components of the network tests (issue 15): each host tool with the libraries ldd
    // names. A tool missing on the host fails the build of the image, naming its Debian package.
    private void AddNetworkTools(string sources)
    {
        foreach ((string tool, string package) in new[]
        {
            ("/usr/sbin/dnsmasq", "dnsmasq-base"), ("/usr/bin/dig", "bind9-dnsutils"), ("/usr/bin/getent", "libc-bin"),
            ("/usr/bin/nmap", "nmap"), ("/usr/bin/nc.openbsd", "netcat-openbsd"),
        })
        {
            if (!File.Exists(tool))
                throw new InvalidOperationException($"{tool} not found: the network tests need it (apt-get install {package})");
            AddDynamicExecutable(tool);
        }
        CopyTree("/usr/share/nmap", "/usr/share/nmap");   // nmap-services, nmap-payloads (-sU), ...
        // glibc's resolver: getent asks NSS, which reads these; libc has the files and dns modules.
        File.WriteAllText(System.IO.Path.Combine(Path, "etc/nsswitch.conf"), "hosts: files dns\n");
        File.WriteAllText(System.IO.Path.Combine(Path, "etc/hosts"), "127.0.0.1 localhost\n::1 localhost\n");
        File.WriteAllText(System.IO.Path.Combine(Path, "etc/resolv.conf"), $"nameserver {DnsFixture.Server}\n");
        File.WriteAllText(System.IO.Path.Combine(Path, DnsFixture.ConfigPath.TrimStart('/')), DnsFixture.Config);
        // musl's own resolver, in a static program (no musl loader in this image).
        ProcessRunner.Check("musl-gcc", "-static", "-O2", "-o", System.IO.Path.Combine(Path, "opt/tests/resolve_musl"), System.IO.Path.Combine(sources, "resolve.c"));
        // Miners by name: the cryptoMining control refuses them by their executable's name.
        foreach (string miner in new[] { "/usr/bin/xmrig", "/usr/local/bin/minerd", "/opt/miners/myminer" })
            CopyAt(System.IO.Path.Combine(Path, "opt/tests/hello"), miner);
    }

    private void CopyTree(string source, string pathInImage)
    {
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            CopyAt(file, System.IO.Path.Combine(pathInImage, System.IO.Path.GetRelativePath(source, file)));
    }

    // The dynamic loader's inputs (LoaderTests): an image library without an execute bit and a
    // program that needs it; payloads kept as data (0644), which tests copy out at run time.
    private void AddLoaderFixtures(string sources)
    {
        string tests = System.IO.Path.Combine(Path, "opt/tests");
        Directory.CreateDirectory(System.IO.Path.Combine(tests, "lib"));
        string library = System.IO.Path.Combine(tests, "lib/libgreet.so");
        ProcessRunner.Check("gcc", "-O2", "-shared", "-fPIC", "-o", library, System.IO.Path.Combine(sources, "greet_lib.c"));
        ProcessRunner.Check("gcc", "-O2", "-o", System.IO.Path.Combine(tests, "greet"), System.IO.Path.Combine(sources, "greet_main.c"),
            "-L" + System.IO.Path.Combine(tests, "lib"), "-lgreet", "-Wl,--enable-new-dtags,-rpath,/opt/tests/lib");
        ProcessRunner.Check("gcc", "-O2", "-shared", "-fPIC", "-o", System.IO.Path.Combine(tests, "evil.so.data"), System.IO.Path.Combine(sources, "evil_so.c"));
        ProcessRunner.Check("gcc", "-O2", "-o", System.IO.Path.Combine(tests, "pwned_dyn.data"), System.IO.Path.Combine(sources, "pwned.c"));
        foreach (string data in new[] { library, System.IO.Path.Combine(tests, "evil.so.data"), System.IO.Path.Combine(tests, "pwned_dyn.data") })
            File.SetUnixFileMode(data, (UnixFileMode)0x1a4);   // 0644
        // ld.so where Debian has it too: an audit module's own namespace loads libc.so.6, which needs it by name.
        CopyAt(new FileInfo("/lib64/ld-linux-x86-64.so.2").ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? "/lib64/ld-linux-x86-64.so.2",
            "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
        // glibc's ldd, a bash script that runs the ELF interpreter directly (--verify, then
        // LD_TRACE_LOADED_OBJECTS=1).
        CopyAt("/usr/bin/ldd", "/usr/bin/ldd");
    }

    private void WriteScript(string pathInImage, string text)
    {
        string destination = System.IO.Path.Combine(Path, pathInImage);
        File.WriteAllText(destination, text);
        File.SetUnixFileMode(destination, (UnixFileMode)0x1ed);   // 0755
    }

    // Copies a dynamically linked host executable with the libraries ldd names, at their paths.
    private void AddDynamicExecutable(string executable)
    {
        string real = new FileInfo(executable).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? executable;
        CopyAt(real, executable);
        string ldd = ProcessRunner.Run("ldd", [real], TimeSpan.FromSeconds(30)).Stdout;
        foreach (string line in ldd.Split('\n'))
        {
            string? library = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(f => f.StartsWith('/'));
            if (library is not null)
                CopyAt(new FileInfo(library).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? library, library);
        }
    }

    private void CopyAt(string source, string pathInImage)
    {
        string destination = System.IO.Path.Combine(Path, pathInImage.TrimStart('/'));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(destination)!);
        if (!File.Exists(destination))
            File.Copy(source, destination);
    }
}
