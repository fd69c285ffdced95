using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Injector.Tests.Registry;

/// <summary>
/// A Docker token server (https://distribution.github.io/distribution/spec/auth/token/) in
/// process: `GET /token?service=...&amp;scope=...` with Basic credentials returns a JWT signed
/// with RS256 whose `x5c` certificate is the `rootcertbundle` the real docker-registry trusts.
/// So the registry itself issues the Bearer challenge and verifies the token: only the token
/// issuer is ours. Requests are counted by outcome for the tests.
/// </summary>
internal sealed class TokenServer : IAsyncDisposable
{
    public const string Service = "microenforcer-test-registry";
    public const string Issuer = "microenforcer-test-issuer";

    private readonly RSA _key = RSA.Create(2048);
    private readonly X509Certificate2 _certificate;
    private readonly WebApplication _app;
    private readonly string _user;
    private readonly string _password;
    private int _issued;
    private int _refused;

    public TokenServer(string user, string password)
    {
        _user = user;
        _password = password;
        var request = new CertificateRequest("CN=microenforcer test token issuer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapGet("/token", Token);
        _app.StartAsync().GetAwaiter().GetResult();
        Realm = _app.Urls.Single() + "/token";
    }

    public string Realm { get; }

    public int Issued => Volatile.Read(ref _issued);

    public int Refused => Volatile.Read(ref _refused);

    /// <summary>The certificate the registry trusts for token signatures (its `rootcertbundle`).</summary>
    public string CertificatePem => _certificate.ExportCertificatePem();

    /// <summary>The `auth:` section of the registry config.</summary>
    public string RegistryAuthConfig(string bundlePath) => $"""
          token:
            realm: {Realm}
            service: {Service}
            issuer: {Issuer}
            rootcertbundle: {bundlePath}
        """;

    private IResult Token(HttpContext http)
    {
        string? header = http.Request.Headers.Authorization;
        string? basic = header?.StartsWith("Basic ", StringComparison.Ordinal) == true ? Encoding.UTF8.GetString(Convert.FromBase64String(header[6..])) : null;
        if (basic != $"{_user}:{_password}" || http.Request.Query["service"] != Service)
        {
            Interlocked.Increment(ref _refused);
            return Results.Json(new { errors = new[] { new { code = "UNAUTHORIZED", message = "bad credentials" } } }, statusCode: 401);
        }
        var access = new JsonArray();
        foreach (string? scope in http.Request.Query["scope"])
        {
            string[] parts = scope!.Split(':');
            if (parts.Length == 3)
                access.Add(new JsonObject { ["type"] = parts[0], ["name"] = parts[1], ["actions"] = new JsonArray([.. parts[2].Split(',').Select(a => (JsonNode?)a)]) });
        }
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["sub"] = _user,
            ["aud"] = Service,
            ["exp"] = now + 300,
            ["nbf"] = now - 10,
            ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = access,
        };
        var jwtHeader = new JsonObject { ["typ"] = "JWT", ["alg"] = "RS256", ["x5c"] = new JsonArray(Convert.ToBase64String(_certificate.RawData)) };
        string signingInput = Base64Url(Encoding.UTF8.GetBytes(jwtHeader.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        string jwt = signingInput + "." + Base64Url(_key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Interlocked.Increment(ref _issued);
        return Results.Json(new { token = jwt, access_token = jwt, expires_in = 300 });
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _certificate.Dispose();
        _key.Dispose();
    }
}
