using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MicroEnforcer.Tests.Audit.Transport;

/// <summary>
/// A real TLS server: `openssl s_server -rev` on a loopback port, which answers each line with
/// the line reversed, or `-WWW`, a static HTTP/1.0 server of the certificate's directory. It
/// serves one connection and exits.
/// </summary>
public sealed class OpenSslServer : IDisposable
{
    private readonly Process _server;
    private readonly List<string> _output = [];

    public static string Executable =>
        new[] { "/usr/bin/openssl", "/bin/openssl" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("openssl is not installed: apt-get install openssl");

    /// <param name="version">"-tls1_3", "-tls1_2" or null for both.</param>
    /// <param name="chain">Extra certificates the server sends after its own (an intermediate).</param>
    /// <param name="groups">The key exchange groups the server accepts ("P-256"), or null for openssl's (X25519 first).</param>
    /// <param name="www">Serve files over HTTP (-WWW) instead of reversing lines.</param>
    public OpenSslServer(string certificate, string key, string? version = null, string? chain = null, string? groups = null, bool www = false)
    {
        Port = FreePort();
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = Path.GetDirectoryName(certificate)!,
        };
        foreach (string argument in new[] { "s_server", "-accept", $"127.0.0.1:{Port}", "-naccept", "1", www ? "-WWW" : "-rev", "-cert", certificate, "-key", key })
            start.ArgumentList.Add(argument);
        if (version is not null)
            start.ArgumentList.Add(version);
        if (groups is not null)
        {
            start.ArgumentList.Add("-groups");
            start.ArgumentList.Add(groups);
        }
        if (chain is not null)
        {
            start.ArgumentList.Add("-cert_chain");
            start.ArgumentList.Add(chain);
        }
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server = new Process { StartInfo = start };
        _server.OutputDataReceived += (_, line) => Record(line.Data, listening);
        _server.ErrorDataReceived += (_, line) => Record(line.Data, listening);
        _server.Exited += (_, _) => listening.TrySetResult();
        _server.EnableRaisingEvents = true;
        _server.Start();
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        // "ACCEPT" is printed once the socket listens. The bound only keeps a broken server from hanging the run.
        if (!listening.Task.Wait(TimeSpan.FromSeconds(60)) || _server.HasExited)
            throw new InvalidOperationException($"openssl s_server did not start: {Output}");
    }

    public int Port { get; }

    /// <summary>Everything the server printed, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
                return string.Join('\n', _output);
        }
    }

    /// <summary>A TCP connection to the server: the transport under TLS.</summary>
    public NetworkStream Connect()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(new IPEndPoint(IPAddress.Loopback, Port));
        return new NetworkStream(socket, ownsSocket: true);
    }

    public void Dispose()
    {
        if (!_server.HasExited)
            _server.Kill();
        _server.WaitForExit();
        _server.Dispose();
    }

    private void Record(string? line, TaskCompletionSource listening)
    {
        if (line is null)
            return;
        lock (_output)
            _output.Add(line);
        if (line == "ACCEPT")
            listening.TrySetResult();
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
