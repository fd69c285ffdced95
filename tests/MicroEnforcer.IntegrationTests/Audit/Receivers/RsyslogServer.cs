using System.Diagnostics;
using System.Net.Sockets;
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
/// protocol-version 0.
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

    /// <summary>127.0.0.1:PORT, as the sink's address.</summary>
    public string Address => $"127.0.0.1:{Port}";

    public string RawPath => Path.Combine(_dir, "raw.log");

    public string ParsedPath => Path.Combine(_dir, "parsed.jsonl");

    public static RsyslogServer Start()
    {
        if (!File.Exists(Binary))
            throw new InvalidOperationException($"{Binary} not found: apt-get install rsyslog (the syslog sink's tests run a real rsyslog)");
        string dir = Directory.CreateTempSubdirectory("sinktests-rsyslog-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "work"));
        int port = HttpReceiver.FreePort();
        File.WriteAllText(Path.Combine(dir, "rsyslog.conf"), Config(dir, port));
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "-n", "-f", Path.Combine(dir, "rsyslog.conf"), "-i", Path.Combine(dir, "rsyslogd.pid") })
            info.ArgumentList.Add(arg);
        Process process = Process.Start(info) ?? throw new InvalidOperationException("cannot start rsyslogd");
        var server = new RsyslogServer(process, dir, port);
        server.WaitUntilListening();
        return server;
    }

    // rsyslog's own config language; the parsed form by its jsonf templates (one object a line).
    private static string Config(string dir, int port) => $$"""
        global(workDirectory="{{dir}}/work" maxMessageSize="64k")
        module(load="imtcp")
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
