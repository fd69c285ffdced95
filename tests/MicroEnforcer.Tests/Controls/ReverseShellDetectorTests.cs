using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Procfs;
using MicroEnforcer.Seccomp;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

/// <summary>
/// The reverse-shell rules on real processes and real sockets, without seccomp: a child started
/// with a connected socket (or a pipe) where the test puts it, described as the tracer describes
/// a loaded image, and judged from /proc as PID 1 judges it. The notified calls (dup2, connect...)
/// are given as the seccomp data the filter would pass, on a process whose descriptors are real.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ReverseShellDetectorTests : IDisposable
{
    private const int Port = 4444;

    // TEST-NET-2 (RFC 5737): an address no test ever reaches; only read from memory, never connected to.
    private static readonly IPAddress Documentation = IPAddress.Parse("198.51.100.7");

    private readonly string _dir = Directory.CreateTempSubdirectory("microenforcer-revshell-").FullName;
    private readonly List<IDisposable> _owned = [];
    private readonly List<int> _fds = [];

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
            _owned[i].Dispose();
        foreach (int fd in _fds)
            Libc.Close(fd);
        Directory.Delete(_dir, recursive: true);
    }

    private static ReverseShellPolicy Policy(
        string[]? interpreters = null, string[]? allowedProcesses = null, string[]? allowedAddresses = null, bool enabled = true) =>
        new(enabled, EnforcementMode.Enforce,
            [.. (allowedProcesses ?? []).Select(Glob)],
            [.. (allowedAddresses ?? []).Select(Network)],
            interpreters is null ? ReverseShellPolicy.DefaultInterpreters : [.. interpreters]);

    private static ReverseShellDetector Detector(
        string[]? interpreters = null, string[]? allowedProcesses = null, string[]? allowedAddresses = null, bool enabled = true) =>
        new(Policy(interpreters, allowedProcesses, allowedAddresses, enabled));

    private static PathGlob Glob(string pattern)
    {
        Assert.True(PathGlob.TryParse(pattern, out PathGlob? glob, out string error), error);
        return glob;
    }

    private static IpNetwork Network(string cidr)
    {
        Assert.True(IpNetwork.TryParse(cidr, out IpNetwork? network, out string error), error);
        return network;
    }

    private T Own<T>(T disposable) where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    private static int Fd(Socket socket) => (int)socket.Handle;

    private unsafe (int, int) SocketPair()
    {
        int* sv = stackalloc int[2];
        Assert.Equal(0, Libc.SocketPair(1 /* AF_UNIX */, 1 /* SOCK_STREAM */ | 0x80000 /* SOCK_CLOEXEC */, 0, sv));
        _fds.Add(sv[0]);
        _fds.Add(sv[1]);
        return (sv[0], sv[1]);
    }

    /// <summary>A TCP connection over <paramref name="address"/>: (the client end, the server's port).</summary>
    private (Socket Client, int Port) Connected(IPAddress address)
    {
        var listener = new TcpListener(address, 0);
        listener.Start();
        try
        {
            var client = Own(new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp));
            client.Connect(listener.LocalEndpoint);
            Own(listener.AcceptSocket());
            return (client, ((IPEndPoint)listener.LocalEndpoint).Port);
        }
        finally
        {
            listener.Stop();
        }
    }

    private SpawnedProcess Spawn(string path, string[] argv, Dictionary<int, int>? fds = null) =>
        Own(SpawnedProcess.Start(path, argv, fds));

    /// <summary>sh, reading its commands from its stdin: the classic reverse shell when that is a socket.</summary>
    private SpawnedProcess Shell(int stdin) => Spawn("/bin/sh", ["sh"], new() { [0] = stdin });

    /// <summary>sh that runs a command and stays sh (the trailing `:` keeps dash from exec'ing sleep).</summary>
    private SpawnedProcess BusyShell(Dictionary<int, int> fds) => Spawn("/bin/sh", ["sh", "-c", "sleep 60; :"], fds);

    /// <summary>The loaded image as the tracer describes it at the exec event.</summary>
    private static ExecTarget Loaded(SpawnedProcess process)
    {
        ExecTarget? target = ExecPathResolver.DescribeLoaded(process.Pid);
        Assert.NotNull(target);
        return target;
    }

    /// <summary>A copy of sleep under another file name (the rules recognise programs by name).</summary>
    private string SleepCopy(string name)
    {
        string path = Path.Combine(_dir, name);
        File.Copy("/usr/bin/sleep", path);
        File.SetUnixFileMode(path, (UnixFileMode)0x1ed);
        return path;
    }

    private string Symlink(string name, string target)
    {
        string path = Path.Combine(_dir, name);
        File.CreateSymbolicLink(path, target);
        return path;
    }

    private static void AssertReverseShell(ControlFinding? finding, string reason, string remote)
    {
        Assert.NotNull(finding);
        Assert.Equal("reverseShell", finding.Control);   // the audit event's name for the control
        Assert.Equal(reason, finding.Reason);
        Assert.Equal(remote, finding.Remote);
        Assert.False(finding.AwaitsBaseline);
    }

    // ---- At exec: an interpreter may not start with an INET socket on fd 0-2 ----

    [Fact]
    public void AShellWithATcpSocketOnItsStdinIsAReverseShell()
    {
        (Socket client, int port) = Connected(IPAddress.Loopback);
        using SpawnedProcess sh = Shell(Fd(client));

        ReverseShellDetector detector = Detector();
        AssertReverseShell(detector.Evaluate(Loaded(sh)), $"sh would run with fd 0 on a tcp socket to 127.0.0.1:{port}", $"127.0.0.1:{port}");
        Assert.Equal("reverseShell", detector.Name);
        Assert.Equal(EnforcementMode.Enforce, detector.Mode);
        Assert.True(detector.Enabled);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ASocketOnStdoutOrStderrCountsToo(int fd)
    {
        (Socket client, int port) = Connected(IPAddress.Loopback);
        using SpawnedProcess sh = BusyShell(new() { [fd] = Fd(client) });

        AssertReverseShell(Detector().Evaluate(Loaded(sh)), $"sh would run with fd {fd} on a tcp socket to 127.0.0.1:{port}", $"127.0.0.1:{port}");
    }

    [Fact]
    public void AConnectedUdpSocketIsASocketToo()
    {
        var udp = Own(new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        udp.Connect(new IPEndPoint(IPAddress.Loopback, Port));   // no listener needed: UDP only records the peer
        using SpawnedProcess sh = Shell(Fd(udp));

        AssertReverseShell(Detector().Evaluate(Loaded(sh)), $"sh would run with fd 0 on a udp socket to 127.0.0.1:{Port}", $"127.0.0.1:{Port}");
    }

    [Fact]
    public void AnIPv6PeerIsNamedInBrackets()
    {
        (Socket client, int port) = Connected(IPAddress.IPv6Loopback);
        using SpawnedProcess sh = Shell(Fd(client));

        AssertReverseShell(Detector().Evaluate(Loaded(sh)), $"sh would run with fd 0 on a tcp6 socket to [::1]:{port}", $"[::1]:{port}");
    }

    [Fact]
    public void APipeOrAUnixSocketOnStdinIsNoReverseShell()
    {
        (int read, int write) = SpawnedProcess.Pipe();
        _fds.Add(read);
        _fds.Add(write);
        (int unixA, int unixB) = SocketPair();
        using SpawnedProcess piped = Shell(read);
        using SpawnedProcess unix = Shell(unixA);

        Assert.Null(Detector().Evaluate(Loaded(piped)));
        Assert.Null(Detector().Evaluate(Loaded(unix)));
    }

    [Fact]
    public void AProgramThatIsNoInterpreterMayHaveASocketOnStdin()
    {
        (Socket client, int port) = Connected(IPAddress.Loopback);
        using SpawnedProcess sleep = Spawn("/usr/bin/sleep", ["sleep", "60"], new() { [0] = Fd(client) });

        Assert.Null(Detector().Evaluate(Loaded(sleep)));   // inetd-style services run that way
        // The same process, once the policy lists it: the socket was there to be found.
        AssertReverseShell(Detector(interpreters: ["sleep"]).Evaluate(Loaded(sleep)),
            $"sleep would run with fd 0 on a tcp socket to 127.0.0.1:{port}", $"127.0.0.1:{port}");
    }

    [Fact]
    public void AListOfInterpretersReplacesTheBuiltInOne()
    {
        (Socket client, _) = Connected(IPAddress.Loopback);
        using SpawnedProcess sh = Shell(Fd(client));

        Assert.Null(Detector(interpreters: ["python*"]).Evaluate(Loaded(sh)));
        Assert.NotNull(Detector(interpreters: ["python*", "da*"]).Evaluate(Loaded(sh)));   // the file's name is dash
    }

    [Theory]
    [InlineData("python3.12", true)]
    [InlineData("python", true)]
    [InlineData("mypython3", false)]   // * matches a run of characters where it stands, not before the name
    public void AWildcardMatchesTheFileName(string name, bool interpreter)
    {
        (Socket client, _) = Connected(IPAddress.Loopback);
        using SpawnedProcess process = Spawn(SleepCopy(name), [name, "60"], new() { [0] = Fd(client) });

        ControlFinding? finding = Detector(interpreters: ["python*"]).Evaluate(Loaded(process));

        Assert.Equal(interpreter, finding is not null);
    }

    [Fact]
    public void TheExecutablesFileNameCountsUnderAnyNameItRunsAs()
    {
        (Socket client, int port) = Connected(IPAddress.Loopback);
        string python = SleepCopy("python3.12");
        using SpawnedProcess process = Spawn(Symlink("worker", python), ["worker", "60"], new() { [0] = Fd(client) });
        ExecTarget target = Loaded(process);
        Assert.Equal("worker", target.InvokedName);   // comm: the name it was run by
        Assert.EndsWith("/python3.12", target.CanonicalPath);

        AssertReverseShell(Detector().Evaluate(target), $"worker would run with fd 0 on a tcp socket to 127.0.0.1:{port}", $"127.0.0.1:{port}");
    }

    [Fact]
    public void TheNameItRunsAsCountsToo()
    {
        (Socket client, _) = Connected(IPAddress.Loopback);
        using SpawnedProcess process = Spawn(Symlink("sh", "/usr/bin/sleep"), ["sh", "60"], new() { [0] = Fd(client) });

        Assert.NotNull(Detector().Evaluate(Loaded(process)));
        Assert.Null(Detector(interpreters: ["bash"]).Evaluate(Loaded(process)));
    }

    [Fact]
    public void AMultiCallBinaryIsJudgedByTheAppletItRunsOnly()
    {
        // Only names decide: a binary named busybox picks its applet by argv[0], so busybox as httpd
        // (which serves on fd 0 and 1) is not busybox as sh, though "busybox" is on the list.
        (Socket client, _) = Connected(IPAddress.Loopback);
        string busybox = SleepCopy("busybox");
        using SpawnedProcess httpd = Spawn(Symlink("httpd", busybox), ["httpd", "60"], new() { [0] = Fd(client) });
        using SpawnedProcess sh = Spawn(Symlink("sh", busybox), ["sh", "60"], new() { [0] = Fd(client) });

        Assert.Null(Detector().Evaluate(Loaded(httpd)));
        Assert.NotNull(Detector().Evaluate(Loaded(sh)));
    }

    [Fact]
    public void AllowedProcessesExemptByTheExecutablesCanonicalPath()
    {
        (Socket client, _) = Connected(IPAddress.Loopback);
        using SpawnedProcess sh = Shell(Fd(client));
        string canonical = Loaded(sh).CanonicalPath;   // /usr/bin/dash here: /bin/sh is a link

        Assert.Null(Detector(allowedProcesses: [canonical]).Evaluate(Loaded(sh)));
        Assert.Null(Detector(allowedProcesses: [Path.GetDirectoryName(canonical) + "/*"]).Evaluate(Loaded(sh)));
        Assert.NotNull(Detector(allowedProcesses: ["/opt/**"]).Evaluate(Loaded(sh)));
    }

    [Fact]
    public void AllowedAddressesExemptThePeer()
    {
        (Socket client, _) = Connected(IPAddress.Loopback);
        using SpawnedProcess sh = Shell(Fd(client));

        Assert.Null(Detector(allowedAddresses: ["127.0.0.0/8"]).Evaluate(Loaded(sh)));
        Assert.Null(Detector(allowedAddresses: ["10.0.0.0/8", "127.0.0.1/32"]).Evaluate(Loaded(sh)));
        Assert.NotNull(Detector(allowedAddresses: ["10.0.0.0/8", "::1/128"]).Evaluate(Loaded(sh)));
    }

    [Fact]
    public void AnIPv6PeerIsExemptedByItsIPv6Network()
    {
        (Socket client, _) = Connected(IPAddress.IPv6Loopback);
        using SpawnedProcess sh = Shell(Fd(client));

        Assert.Null(Detector(allowedAddresses: ["::1/128"]).Evaluate(Loaded(sh)));
        Assert.NotNull(Detector(allowedAddresses: ["127.0.0.0/8"]).Evaluate(Loaded(sh)));
    }

    [Fact]
    public void AnIPv4MappedPeerIsExemptedByItsIPv4Network()
    {
        // A dual-stack socket connected to an IPv4 peer: /proc/net/tcp6 shows ::ffff:127.0.0.1.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = Own(new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true });
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        client.Connect(new IPEndPoint(IPAddress.Loopback.MapToIPv6(), port));
        Own(listener.AcceptSocket());
        listener.Stop();
        using SpawnedProcess sh = Shell(Fd(client));

        AssertReverseShell(Detector().Evaluate(Loaded(sh)), $"sh would run with fd 0 on a tcp6 socket to [::ffff:127.0.0.1]:{port}",
            $"[::ffff:127.0.0.1]:{port}");
        Assert.Null(Detector(allowedAddresses: ["127.0.0.0/8"]).Evaluate(Loaded(sh)));
    }

    [Fact]
    public void ADisabledControlHasNoObjection()
    {
        (Socket client, _) = Connected(IPAddress.Loopback);
        using SpawnedProcess sh = Shell(Fd(client));
        ReverseShellDetector off = Detector(enabled: false);

        Assert.False(off.Enabled);
        Assert.Null(off.Evaluate(Loaded(sh)));
        Assert.Null(off.DecideRelayAtExec(sh.Pid, Loaded(sh)));
        Assert.Null(off.DecideDescriptorCall(sh.Pid, SyscallKind.Dup2, Data(Fd(client), 0)));
    }

    // ---- Inside a running interpreter: dup of an INET socket onto fd 0-2 ----

    private static unsafe Libc.seccomp_data Data(long a0, long a1 = 0, long a2 = 0)
    {
        var data = new Libc.seccomp_data();
        data.args[0] = (ulong)a0;
        data.args[1] = (ulong)a1;
        data.args[2] = (ulong)a2;
        return data;
    }

    [Theory]
    [InlineData("dup2", 0)]
    [InlineData("dup2", 2)]
    [InlineData("dup3", 1)]
    public void DupOfASocketOntoStdioInAShellIsRefused(string name, int onto)
    {
        SyscallKind kind = name == "dup2" ? SyscallKind.Dup2 : SyscallKind.Dup3;
        (Socket client, int port) = Connected(IPAddress.Loopback);
        using SpawnedProcess sh = BusyShell(new() { [3] = Fd(client) });

        AssertReverseShell(Detector().DecideDescriptorCall(sh.Pid, kind, Data(3, onto)),
            $"{name} of a tcp socket to 127.0.0.1:{port} onto fd {onto} in sh", $"127.0.0.1:{port}");
    }

    [Fact]
    public void DupOntoAnyOtherFdOrOfAnythingButAnInetSocketIsLetThrough()
    {
        (Socket client, _) = Connected(IPAddress.Loopback);
        (int read, int write) = SpawnedProcess.Pipe();
        _fds.Add(read);
        _fds.Add(write);
        using SpawnedProcess sh = BusyShell(new() { [3] = Fd(client), [4] = read });
        ReverseShellDetector detector = Detector();

        Assert.Null(detector.DecideDescriptorCall(sh.Pid, SyscallKind.Dup2, Data(3, 5)));
        Assert.Null(detector.DecideDescriptorCall(sh.Pid, SyscallKind.Dup2, Data(4, 0)));   // a pipe
        Assert.Null(detector.DecideDescriptorCall(sh.Pid, SyscallKind.Dup2, Data(0, 0)));
        Assert.Null(detector.DecideDescriptorCall(sh.Pid, SyscallKind.Dup3, Data(3, -1)));
        Assert.Null(detector.DecideDescriptorCall(sh.Pid, SyscallKind.FcntlDupfd, Data(3, 0, 3)));
        Assert.NotNull(detector.DecideDescriptorCall(sh.Pid, SyscallKind.Dup2, Data(3, 0)));   // the same process, the rule's case

        // dup2 of a socket already on stdin onto itself changes nothing (that shell was judged at its exec).
        using SpawnedProcess onStdin = BusyShell(new() { [0] = Fd(client) });
        Assert.Null(detector.DecideDescriptorCall(onStdin.Pid, SyscallKind.Dup2, Data(0, 0)));
        Assert.NotNull(detector.DecideDescriptorCall(onStdin.Pid, SyscallKind.Dup2, Data(0, 1)));
    }

    [Fact]
    public void DupTakesTheLowestFreeFd()
    {
        (Socket client, int port) = Connected(IPAddress.Loopback);
        using SpawnedProcess full = BusyShell(new() { [3] = Fd(client) });
        using SpawnedProcess noStdin = BusyShell(new() { [0] = -1, [3] = Fd(client) });

        Assert.Null(Detector().DecideDescriptorCall(full.Pid, SyscallKind.Dup, Data(3)));   // fd 0-2 taken: it lands above 2
        AssertReverseShell(Detector().DecideDescriptorCall(noStdin.Pid, SyscallKind.Dup, Data(3)),
            $"dup of a tcp socket to 127.0.0.1:{port} onto fd 0 in sh", $"127.0.0.1:{port}");
    }

    [Fact]
    public void FcntlDupfdTakesTheLowestFreeFdFromItsMinimum()
    {
        (Socket client, int port) = Connected(IPAddress.Loopback);
        using SpawnedProcess noStdout = BusyShell(new() { [1] = -1, [3] = Fd(client) });

        AssertReverseShell(Detector().DecideDescriptorCall(noStdout.Pid, SyscallKind.FcntlDupfd, Data(3, 0, 0)),
            $"fcntl of a tcp socket to 127.0.0.1:{port} onto fd 1 in sh", $"127.0.0.1:{port}");
        Assert.Null(Detector().DecideDescriptorCall(noStdout.Pid, SyscallKind.FcntlDupfd, Data(3, 0, 2)));   // fd 2 is taken
    }

    [Fact]
    public void DupIsLetThroughForAProgramThatIsNoInterpreterOrIsExempt()
    {
        (Socket client, _) = Connected(IPAddress.Loopback);
        using SpawnedProcess sleep = Spawn("/usr/bin/sleep", ["sleep", "60"], new() { [3] = Fd(client) });
        using SpawnedProcess sh = BusyShell(new() { [3] = Fd(client) });
        string canonical = Loaded(sh).CanonicalPath;

        Assert.Null(Detector().DecideDescriptorCall(sleep.Pid, SyscallKind.Dup2, Data(3, 0)));
        Assert.NotNull(Detector(interpreters: ["sleep"]).DecideDescriptorCall(sleep.Pid, SyscallKind.Dup2, Data(3, 0)));
        Assert.Null(Detector(allowedProcesses: [canonical]).DecideDescriptorCall(sh.Pid, SyscallKind.Dup2, Data(3, 0)));
        Assert.Null(Detector(allowedAddresses: ["127.0.0.0/8"]).DecideDescriptorCall(sh.Pid, SyscallKind.Dup2, Data(3, 0)));
    }

    // ---- connect on fd 0-2 of an interpreter: its peer read from the caller's memory ----

    private static byte[] SockaddrIn(IPAddress address, int port)
    {
        byte[] sockaddr = new byte[16];
        BinaryPrimitives.WriteUInt16LittleEndian(sockaddr, 2);   // AF_INET
        BinaryPrimitives.WriteUInt16BigEndian(sockaddr.AsSpan(2), (ushort)port);
        address.GetAddressBytes().CopyTo(sockaddr, 4);
        return sockaddr;
    }

    private static byte[] SockaddrIn6(IPAddress address, int port)
    {
        byte[] sockaddr = new byte[28];
        BinaryPrimitives.WriteUInt16LittleEndian(sockaddr, 10);   // AF_INET6
        BinaryPrimitives.WriteUInt16BigEndian(sockaddr.AsSpan(2), (ushort)port);
        address.GetAddressBytes().CopyTo(sockaddr, 8);
        return sockaddr;
    }

    [Fact]
    public void ConnectOfStdinInAnInterpreterIsRefusedByItsPeer()
    {
        using SpawnedProcess sh = BusyShell([]);
        ulong at = sh.ScratchAddress();   // its own memory: where the sockaddr of its connect lies
        sh.WriteMemory(at, SockaddrIn(Documentation, Port));

        AssertReverseShell(Detector().DecideDescriptorCall(sh.Pid, SyscallKind.Connect, Data(0, (long)at, 16)),
            $"connect of fd 0 to 198.51.100.7:{Port} in sh", $"198.51.100.7:{Port}");
        Assert.Null(Detector(allowedAddresses: ["198.51.100.0/24"]).DecideDescriptorCall(sh.Pid, SyscallKind.Connect, Data(2, (long)at, 16)));
        Assert.Null(Detector().DecideDescriptorCall(sh.Pid, SyscallKind.Connect, Data(0, (long)at, 4)));   // too short: the kernel's EINVAL
        Assert.Null(Detector().DecideDescriptorCall(sh.Pid, SyscallKind.Connect, Data(0, 8, 16)));   // unmapped: the kernel's EFAULT
    }

    [Fact]
    public void ConnectOfStdinToAnIPv6PeerIsRefused()
    {
        using SpawnedProcess sh = BusyShell([]);
        ulong at = sh.ScratchAddress();
        sh.WriteMemory(at, SockaddrIn6(IPAddress.Parse("2001:db8::7"), Port));

        AssertReverseShell(Detector().DecideDescriptorCall(sh.Pid, SyscallKind.Connect, Data(1, (long)at, 28)),
            $"connect of fd 1 to [2001:db8::7]:{Port} in sh", $"[2001:db8::7]:{Port}");
    }

    [Fact]
    public void ConnectOfStdinInAProgramThatIsNoInterpreterIsLetThrough()
    {
        using SpawnedProcess sleep = Spawn("/usr/bin/sleep", ["sleep", "60"]);
        ulong at = sleep.ScratchAddress();
        sleep.WriteMemory(at, SockaddrIn(Documentation, Port));

        Assert.Null(Detector().DecideDescriptorCall(sleep.Pid, SyscallKind.Connect, Data(0, (long)at, 16)));
        Assert.NotNull(Detector(interpreters: ["sleep"]).DecideDescriptorCall(sleep.Pid, SyscallKind.Connect, Data(0, (long)at, 16)));
    }

    // ---- Through a relay: an interpreter reading its commands from a pipe a connected process writes ----

    /// <summary>An address of this machine that is not loopback: a peer the relay rule counts as remote.</summary>
    private static IPAddress NonLoopbackAddress()
    {
        IPAddress? address = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        Assert.True(address is not null, "the relay tests need a network interface with an IPv4 address other than loopback");
        return address;
    }

    /// <summary>
    /// `nc H P | sh`: a relay (sleep, standing for nc) holding a TCP connection to
    /// <paramref name="peer"/> and the write end of a pipe; sh reads its commands from the other end.
    /// </summary>
    private (SpawnedProcess Relay, SpawnedProcess Shell, string Peer) Relayed(IPAddress peer, string[]? shellArgv = null)
    {
        (Socket client, int port) = Connected(peer);
        (int read, int write) = SpawnedProcess.Pipe();
        _fds.Add(read);
        _fds.Add(write);
        SpawnedProcess relay = Spawn("/usr/bin/sleep", ["sleep", "60"], new() { [1] = write, [3] = Fd(client) });
        SpawnedProcess sh = Spawn("/bin/sh", shellArgv ?? ["sh"], new() { [0] = read });
        return (relay, sh, $"{peer}:{port}");
    }

    [Fact]
    public void AShellFedThroughAPipeByAConnectedRelayIsKilledAtItsExec()
    {
        (SpawnedProcess relay, SpawnedProcess sh, string peer) = Relayed(NonLoopbackAddress());

        ControlFinding? finding = Detector().DecideRelayAtExec(sh.Pid, Loaded(sh));

        // The interpreter is named by its file (dash: /bin/sh is a link), the relay by its comm.
        AssertReverseShell(finding, $"dash reads its commands from stdin, fed through a pipe or FIFO by sleep (pid {relay.Pid}) connected to {peer}", peer);
        Assert.Null(Detector().Evaluate(Loaded(sh)));   // no socket on its own fds: the fd 0-2 rule cannot see it
    }

    [Fact]
    public void ARelayConnectedOnlyOverLoopbackFeedsNoReverseShell()
    {
        (_, SpawnedProcess sh, _) = Relayed(IPAddress.Loopback);

        Assert.Null(Detector().DecideRelayAtExec(sh.Pid, Loaded(sh)));
    }

    [Fact]
    public void AShellThatDoesNotReadItsCommandsFromStdinIsNoRelayedShell()
    {
        (_, SpawnedProcess sh, _) = Relayed(NonLoopbackAddress(), ["sh", "-c", "sleep 60; :"]);

        Assert.Null(Detector().DecideRelayAtExec(sh.Pid, Loaded(sh)));
    }

    [Fact]
    public void AnExemptRelayOrPeerOrShellFeedsNoReverseShell()
    {
        IPAddress address = NonLoopbackAddress();
        (SpawnedProcess relay, SpawnedProcess sh, _) = Relayed(address);
        string relayPath = Loaded(relay).CanonicalPath, shPath = Loaded(sh).CanonicalPath;

        Assert.Null(Detector(allowedProcesses: [relayPath]).DecideRelayAtExec(sh.Pid, Loaded(sh)));
        Assert.Null(Detector(allowedProcesses: [shPath]).DecideRelayAtExec(sh.Pid, Loaded(sh)));
        Assert.Null(Detector(allowedAddresses: [$"{address}/32"]).DecideRelayAtExec(sh.Pid, Loaded(sh)));
        Assert.Null(Detector(interpreters: ["bash"]).DecideRelayAtExec(sh.Pid, Loaded(sh)));
        Assert.NotNull(Detector().DecideRelayAtExec(sh.Pid, Loaded(sh)));
    }

    /// <summary>
    /// `sh | nc H P`'s other half, `nc H P | sh` with the shell started first: the relay (sleep)
    /// writes the pipe sh reads, and connects afterwards. The connect's sockaddr is in its memory.
    /// </summary>
    private (SpawnedProcess Relay, ulong Sockaddr) RelayBeforeConnect(int pipeWrite)
    {
        SpawnedProcess relay = Spawn("/usr/bin/sleep", ["sleep", "60"], new() { [1] = pipeWrite });
        ulong at = relay.ScratchAddress();
        relay.WriteMemory(at, SockaddrIn(Documentation, Port));
        return (relay, at);
    }

    [Fact]
    public void AConnectThatWouldFeedAShellReadingItsStdinIsRefused()
    {
        (int read, int write) = SpawnedProcess.Pipe();
        _fds.Add(read);
        _fds.Add(write);
        using SpawnedProcess sh = Spawn("/bin/sh", ["sh", "-i"], new() { [0] = read });
        (SpawnedProcess relay, ulong at) = RelayBeforeConnect(write);
        ReverseShellDetector detector = Detector();

        AssertReverseShell(detector.DecideDescriptorCall(relay.Pid, SyscallKind.Connect, Data(3, (long)at, 16)),
            $"connect of sleep to 198.51.100.7:{Port} would feed dash (pid {sh.Pid}), which reads its commands from stdin, through a pipe or FIFO",
            $"198.51.100.7:{Port}");
        Assert.Null(Detector(allowedAddresses: ["198.51.100.0/24"]).DecideDescriptorCall(relay.Pid, SyscallKind.Connect, Data(3, (long)at, 16)));
    }

    [Fact]
    public void AConnectToALoopbackPeerFeedsNoReverseShell()
    {
        (int read, int write) = SpawnedProcess.Pipe();
        _fds.Add(read);
        _fds.Add(write);
        using SpawnedProcess sh = Spawn("/bin/sh", ["sh"], new() { [0] = read });
        (SpawnedProcess relay, ulong at) = RelayBeforeConnect(write);
        relay.WriteMemory(at, SockaddrIn(IPAddress.Loopback, Port));

        Assert.Null(Detector().DecideDescriptorCall(relay.Pid, SyscallKind.Connect, Data(3, (long)at, 16)));
    }

    [Fact]
    public void AShellStartedAfterTheRelayConnectedAndLeftIsStillFedFromTheNetwork()
    {
        // `wget -O- URL | sh`: the relay's connect was let through (no shell read the pipe yet), and
        // it may have exited before sh starts; the pipe it wrote is remembered as fed from its peer.
        (int read, int write) = SpawnedProcess.Pipe();
        _fds.Add(read);
        _fds.Add(write);
        ReverseShellDetector detector = Detector();
        (SpawnedProcess relay, ulong at) = RelayBeforeConnect(write);
        Assert.Null(detector.DecideDescriptorCall(relay.Pid, SyscallKind.Connect, Data(3, (long)at, 16)));
        relay.Dispose();

        using SpawnedProcess sh = Spawn("/bin/sh", ["sh"], new() { [0] = read });   // this process keeps the pipe open

        AssertReverseShell(detector.DecideRelayAtExec(sh.Pid, Loaded(sh)),
            $"dash reads its commands from stdin, fed through a pipe or FIFO by a relay that has exited connected to 198.51.100.7:{Port}",
            $"198.51.100.7:{Port}");
        Assert.Null(Detector().DecideRelayAtExec(sh.Pid, Loaded(sh)));   // another detector has not seen the connect
    }
}
