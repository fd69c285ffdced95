namespace MicroEnforcer.Policy;

/// <summary>
/// A sink that POSTs events over HTTP or HTTPS: <c>otlp</c> (OTLP/HTTP logs, to a collector) or
/// <c>falco</c> (Falco's JSON, to falcosidekick).
/// </summary>
/// <param name="Type"><see cref="OtlpType"/> or <see cref="FalcoType"/>.</param>
/// <param name="Endpoint">The absolute http or https URL requests go to (an OTLP endpoint without a path gets /v1/logs).</param>
/// <param name="CaFile">https only: the PEM bundle whose CAs alone are trusted; null: the image's system bundle.</param>
/// <param name="BearerTokenFile">A file whose content is sent as "Authorization: Bearer …", read again when it changes.</param>
/// <param name="Timeout">How long one request may take.</param>
public sealed record HttpSinkPolicy(string Type, Uri Endpoint, string? CaFile, string? BearerTokenFile, TimeSpan Timeout) : AuditSinkPolicy
{
    public const string OtlpType = "otlp";
    public const string FalcoType = "falco";
    public const string OtlpLogsPath = "/v1/logs";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public override string Type { get; } = Type;

    public bool UsesTls => Endpoint.Scheme == Uri.UriSchemeHttps;

    public override string Describe() => $"{Type} {Endpoint}";

    /// <summary>
    /// An absolute http or https URL, with /v1/logs as the path of an OTLP endpoint that names
    /// none (the OTLP/HTTP default): null with the URL, else the error.
    /// </summary>
    public static string? ParseEndpoint(string type, string text, out Uri endpoint)
    {
        endpoint = null!;
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
            return $"invalid endpoint '{text}': expected an absolute http:// or https:// URL such as http://127.0.0.1:4318/v1/logs";
        if (uri.UserInfo.Length > 0)
            return $"invalid endpoint '{text}': credentials in the URL are not supported; use bearerTokenFile";
        if (uri.Fragment.Length > 0)
            return $"invalid endpoint '{text}': a URL fragment (#...) is never sent";
        if (type == OtlpType && uri.AbsolutePath == "/" && uri.Query.Length == 0)
            uri = new UriBuilder(uri) { Path = OtlpLogsPath }.Uri;
        endpoint = uri;
        return null;
    }
}
