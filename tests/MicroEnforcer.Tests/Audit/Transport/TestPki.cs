using System.Diagnostics;

namespace MicroEnforcer.Tests.Audit.Transport;

/// <summary>
/// Certificates made by the openssl CLI (Debian package openssl) in a temporary directory, the
/// way an operator makes them: a CA, leaves it issues (for localhost and 127.0.0.1, expired, for
/// another name, for client authentication only, an RSA one), an intermediate CA with its own
/// leaf, a second unrelated CA, and a self-signed leaf.
/// </summary>
public sealed class TestPki : IDisposable
{
    private const string ServerExtensions = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n";
    private const string CaExtensions = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n";

    public TestPki()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("microenforcer-tls-").FullName;
        Ca("ca", "MicroEnforcer Test CA");
        Ca("other-ca", "Some Other CA");
        Leaf("leaf", "ca", "localhost", "DNS:localhost,IP:127.0.0.1", ServerExtensions);
        Leaf("expired", "ca", "localhost", "DNS:localhost,IP:127.0.0.1", ServerExtensions, days: -1);
        Leaf("wrong-name", "ca", "elsewhere.test", "DNS:elsewhere.test,DNS:*.localhost", ServerExtensions);
        Leaf("client-only", "ca", "localhost", "DNS:localhost", ServerExtensions.Replace("serverAuth", "clientAuth", StringComparison.Ordinal));
        Leaf("rsa", "ca", "localhost", "DNS:localhost", ServerExtensions, rsa: true);
        Leaf("intermediate", "ca", "MicroEnforcer Test Intermediate", null, CaExtensions);
        Leaf("via-intermediate", "intermediate", "localhost", "DNS:localhost", ServerExtensions);
        OpenSsl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
            "-keyout", PathOf("self-signed.key"), "-out", PathOf("self-signed.pem"), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-addext", "extendedKeyUsage=serverAuth");
    }

    public string Directory { get; }

    /// <summary>{name}.pem (certificate) and {name}.key in <see cref="Directory"/>.</summary>
    public string PathOf(string file) => Path.Combine(Directory, file);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private void Ca(string name, string commonName) =>
        OpenSsl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3650",
            "-keyout", PathOf(name + ".key"), "-out", PathOf(name + ".pem"), "-subj", "/CN=" + commonName,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");

    // `-days -1` puts notAfter a day before notBefore (now): a certificate that has expired.
    private void Leaf(string name, string issuer, string commonName, string? subjectAltName, string extensions, int days = 30, bool rsa = false)
    {
        string[] key = rsa ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
        OpenSsl(["req", .. key, "-nodes", "-keyout", PathOf(name + ".key"), "-out", PathOf(name + ".csr"), "-subj", "/CN=" + commonName]);
        File.WriteAllText(PathOf(name + ".ext"), extensions + (subjectAltName is null ? "" : $"subjectAltName={subjectAltName}\n"));
        OpenSsl("x509", "-req", "-in", PathOf(name + ".csr"), "-CA", PathOf(issuer + ".pem"), "-CAkey", PathOf(issuer + ".key"),
            "-CAcreateserial", "-days", days.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-extfile", PathOf(name + ".ext"), "-out", PathOf(name + ".pem"));
    }

    private static void OpenSsl(params string[] arguments)
    {
        var start = new ProcessStartInfo(OpenSslServer.Executable) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using Process openssl = Process.Start(start)!;
        string output = openssl.StandardOutput.ReadToEnd() + openssl.StandardError.ReadToEnd();
        openssl.WaitForExit();
        if (openssl.ExitCode != 0)
            throw new InvalidOperationException($"openssl {string.Join(' ', arguments)} failed ({openssl.ExitCode}): {output}");
    }
}
