using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace MicroEnforcer.IntegrationTests.Audit.Receivers;

/// <summary>
/// A real rsyslog (Debian's rsyslogd) for the syslog sink: started in the foreground (-n) with a
/// configuration of its own (-f: imtcp on a free loopback port, nothing else: no /dev/log, no
/// kernel log, no system files) and its own pid file and work directory under /tmp, so it neither
/// starts nor disturbs a system rsyslog. Each message it receives is written twice: as received
/// (%rawmsg%) and as rsyslog's RFC 5424 parser read it (one JSON object a line: pri,
/// protocol-version, timestamp, hostname, app-name, procid, msgid, structured-data, msg). A
/// message rsyslog cannot read as RFC 5424 falls back to its RFC 3164 parser and shows
/// protocol-version 0. With TLS (RFC 5425), its gtls driver (rsyslog-gnutls) serves a certificate
/// for 127.0.0.1 issued by a CA the test makes (<see cref="CaPem"/>).
/// </summary>
internal sealed class RsyslogServer : IDisposable
{
    public const string Binary = "/usr/sbin/rsyslogd";

    private readonly Process _process;
    private readonly string _dir;

    private RsyslogServer(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    /// <summary>With TLS: the PEM of the CA that issued rsyslog's certificate (the sink's caFile).</summary>
    public string? CaPem { get; private init; }

    /// <summary>127.0.0.1:PORT, as the sink's address.</summary>
    public string Address => $"127.0.0.1:{Port}";

    public string RawPath => Path.Combine(_dir, "raw.log");

    public string ParsedPath => Path.Combine(_dir, "parsed.jsonl");

    public static RsyslogServer Start(bool tls = false)
    {
        if (!File.Exists(Binary))
            throw new InvalidOperationException($"{Binary} not found: apt-get install rsyslog (the syslog sink's tests run a real rsyslog)");
        if (tls && !File.Exists("/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so"))
            throw new InvalidOperationException("rsyslog's gtls driver not found: apt-get install rsyslog-gnutls (the syslog sink's TLS test)");
        string dir = Directory.CreateTempSubdirectory("sinktests-rsyslog-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "work"));
        int port = HttpReceiver.FreePort();
        string? caPem = tls ? MakeCertificates(dir) : null;
        File.WriteAllText(Path.Combine(dir, "rsyslog.conf"), Config(dir, port, tls));
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "-n", "-f", Path.Combine(dir, "rsyslog.conf"), "-i", Path.Combine(dir, "rsyslogd.pid") })
            info.ArgumentList.Add(arg);
        Process process = Process.Start(info) ?? throw new InvalidOperationException("cannot start rsyslogd");
        var server = new RsyslogServer(process, dir, port) { CaPem = caPem };
        server.WaitUntilListening();
        return server;
    }

    // rsyslog's own config language; the parsed form by its jsonf templates (one object a line).
    private static string Config(string dir, int port, bool tls) => $$"""
        global(workDirectory="{{dir}}/work" maxMessageSize="64k"{{(tls ? $" defaultNetstreamDriverCAFile=\"{dir}/ca.pem\" defaultNetstreamDriverCertFile=\"{dir}/cert.pem\" defaultNetstreamDriverKeyFile=\"{dir}/key.pem\"" : "")}})
        module(load="imtcp"{{(tls ? " streamDriver.name=\"gtls\" streamDriver.mode=\"1\" streamDriver.authMode=\"anon\"" : "")}})
        input(type="imtcp" address="127.0.0.1" port="{{port}}")
        template(name="raw" type="string" string="%rawmsg%\n")
        template(name="parsed" type="list" option.jsonf="on") {
          property(outname="pri" name="pri" format="jsonf")
          property(outname="protocol-version" name="protocol-version" format="jsonf")
          property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
          property(outname="hostname" name="hostname" format="jsonf")
          property(outname="app-name" name="app-name" format="jsonf")
          property(outname="procid" name="procid" format="jsonf")
          property(outname="msgid" name="msgid" format="jsonf")
          property(outname="structured-data" name="structured-data" format="jsonf")
          property(outname="msg" name="msg" format="jsonf")
        }
        action(type="omfile" file="{{dir}}/raw.log" template="raw" flushOnTXEnd="on" asyncWriting="off")
        action(type="omfile" file="{{dir}}/parsed.jsonl" template="parsed" flushOnTXEnd="on" asyncWriting="off")

        """;

    // A CA and a server certificate for IP 127.0.0.1 it issued, as PEM files rsyslog reads; returns the CA's PEM.
    private static string MakeCertificates(string dir)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=sinktests rsyslog CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using X509Certificate2 ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using X509Certificate2 server = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), [1, 2, 3, 4]);

        string caPem = ca.ExportCertificatePem() + "\n";
        File.WriteAllText(Path.Combine(dir, "ca.pem"), caPem);
        File.WriteAllText(Path.Combine(dir, "cert.pem"), server.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(dir, "key.pem"), serverKey.ExportPkcs8PrivateKeyPem() + "\n");
        return caPem;
    }

    private void WaitUntilListening()
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"rsyslogd exited ({_process.ExitCode}): {_process.StandardError.ReadToEnd()}{_process.StandardOutput.ReadToEnd()}");
            try
            {
                using var probe = new TcpClient();
                probe.Connect("127.0.0.1", Port);
                return;
            }
            catch (SocketException) when (clock.ElapsedMilliseconds < 20_000)
            {
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>The messages received so far, as rsyslog parsed them.</summary>
    public IReadOnlyList<JsonElement> Messages
    {
        get
        {
            if (!File.Exists(ParsedPath))
                return [];
            var messages = new List<JsonElement>();
            foreach (string line in File.ReadAllLines(ParsedPath))
            {
                if (line.Length == 0)
                    continue;
                using var doc = JsonDocument.Parse(line);
                messages.Add(doc.RootElement.Clone());
            }
            return messages;
        }
    }

    public IReadOnlyList<string> RawMessages => File.Exists(RawPath) ? [.. File.ReadAllLines(RawPath).Where(l => l.Length > 0)] : [];

    public void WaitFor(Func<IReadOnlyList<JsonElement>, bool> done, string what, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!done(Messages))
        {
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"rsyslog: {what} did not happen within {timeout.TotalSeconds} s; raw messages:\n{string.Join('\n', RawMessages)}");
            Thread.Sleep(100);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
