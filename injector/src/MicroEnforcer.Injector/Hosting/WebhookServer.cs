using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Admission;
using MicroEnforcer.Injector.Kubernetes;
using MicroEnforcer.Injector.Registry;
using MicroEnforcer.Injector.Tls;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MicroEnforcer.Injector.Hosting;

/// <summary>
/// The webhook's HTTPS server: Kestrel with the reloading certificate and the body cap,
/// `POST /mutate` (pods opted in by annotation; pods/exec), `POST /mutate/namespace` (pods of
/// namespaces labelled microenforcer.io/inject=enabled), `GET /healthz` and `GET /readyz`.
/// </summary>
public static partial class WebhookServer
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = false };

    // A key given twice is ambiguous (which one did the API server mean?) and would otherwise throw
    // when the object is first read: refused as not JSON.
    private static readonly JsonDocumentOptions s_strictJson = new() { AllowDuplicateProperties = false };

    /// <param name="configure">Tests override options and the Kubernetes API here.</param>
    public static WebApplication Build(string[] args, Action<InjectorOptions>? configure = null, IKubernetesApi? kubernetes = null, IPEndPoint? listen = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Configuration.AddCommandLine(args, new Dictionary<string, string> { ["--listen-address"] = "Injector:ListenAddress" });
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            o.UseUtcTimestamp = true;
        });
        var options = new InjectorOptions();
        builder.Configuration.GetSection("Injector").Bind(options);
        // A misspelt image-control key would silently leave a control off: refuse to start instead.
        builder.Configuration.GetSection("Injector:ImageControls").Get<ImageControls.ImageControlsOptions>(o => o.ErrorOnUnknownConfiguration = true);
        configure?.Invoke(options);
        IPAddress? listenAddress = ParseListenAddress(options.ListenAddress);

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<IKubernetesApi>(kubernetes ?? (IKubernetesApi?)InClusterKubernetesApi.FromEnvironment() ?? new NoKubernetesApi());
        builder.Services.AddSingleton<IImageConfigSource>(_ => new RegistryClient(new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(3),
        }), options));
        builder.Services.AddSingleton<ImageConfigResolver>();
        builder.Services.AddSingleton<AdmissionHandler>();
        builder.Services.AddSingleton(sp => new CertificateReloader(options.TlsCertificatePath, options.TlsKeyPath,
            TimeSpan.FromSeconds(options.TlsReloadSeconds), sp.GetRequiredService<ILogger<CertificateReloader>>()));

        builder.WebHost.UseKestrelCore().ConfigureKestrel((context, kestrel) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            var reloader = kestrel.ApplicationServices.GetRequiredService<CertificateReloader>();
            void Https(ListenOptions l) => l.UseHttps(h => h.ServerCertificateSelector = (_, _) => reloader.Current);
            if (listen is not null)
                kestrel.Listen(listen, Https);
            else if (listenAddress is not null)
                kestrel.Listen(listenAddress, options.Port, Https);
            else
                kestrel.ListenAnyIP(options.Port, Https);
        });

        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", (CertificateReloader tls) =>
            tls.Current.NotAfter > DateTime.Now ? Results.Text("ready\n") : Results.Text("certificate expired\n", statusCode: 503));
        app.MapPost("/mutate", (HttpContext http, AdmissionHandler handler, ILogger<AdmissionHandler> log) => MutateAsync(http, handler, log, namespaceEnabled: false));
        app.MapPost("/mutate/namespace", (HttpContext http, AdmissionHandler handler, ILogger<AdmissionHandler> log) => MutateAsync(http, handler, log, namespaceEnabled: true));
        return app;
    }

    /// <summary>The ListenAddress setting: null (every interface) when empty; an IPv4 address in its
    /// canonical dotted form (IPAddress.Parse would take "10.1" or "1" too) or an IPv6 one, with or
    /// without brackets; anything else (a host name included) is refused with the setting named.</summary>
    internal static IPAddress? ParseListenAddress(string? text)
    {
        string value = (text ?? "").Trim();
        if (value.Length == 0)
            return null;
        bool bracketed = value.StartsWith('[') && value.EndsWith(']');
        string bare = bracketed ? value[1..^1] : value;
        if (IPAddress.TryParse(bare, out IPAddress? address)
            && (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? bare.Contains(':', StringComparison.Ordinal) : !bracketed && address.ToString() == bare))
            return address;
        throw new OptionsValidationException(nameof(InjectorOptions.ListenAddress), typeof(InjectorOptions),
            [$"Injector:ListenAddress (--listen-address, Injector__ListenAddress) '{value}' is not an IPv4 or IPv6 address (e.g. 10.0.0.5, ::1 or [::1]; empty: every interface)"]);
    }

    private static async Task MutateAsync(HttpContext http, AdmissionHandler handler, ILogger log, bool namespaceEnabled)
    {
        if (http.Request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            await ErrorAsync(http, StatusCodes.Status415UnsupportedMediaType, "expected Content-Type: application/json").ConfigureAwait(false);
            return;
        }
        try
        {
            JsonNode? body = await JsonNode.ParseAsync(http.Request.Body, documentOptions: s_strictJson, cancellationToken: http.RequestAborted).ConfigureAwait(false);
            JsonObject review = await handler.HandleAsync(body, namespaceEnabled, http.RequestAborted).ConfigureAwait(false);
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(review.ToJsonString(s_json), http.RequestAborted).ConfigureAwait(false);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            LogRejected(log, 413, e.Message);
            await ErrorAsync(http, StatusCodes.Status413PayloadTooLarge, $"request body larger than {http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes").ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            LogRejected(log, 400, e.Message);
            await ErrorAsync(http, StatusCodes.Status400BadRequest, "the body is not JSON: " + e.Message).ConfigureAwait(false);
        }
        catch (MalformedReviewException e)
        {
            LogRejected(log, 400, e.Message);
            await ErrorAsync(http, StatusCodes.Status400BadRequest, e.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The API server gave up (its timeoutSeconds): nobody is left to answer.
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or KeyNotFoundException or NullReferenceException or ArgumentException or IndexOutOfRangeException)
        {
            // A pod shape the injector did not expect must not take the service down.
            LogFailed(log, e, e.Message);
            await ErrorAsync(http, StatusCodes.Status500InternalServerError, "internal error: " + e.Message).ConfigureAwait(false);
        }
    }

    private static async Task ErrorAsync(HttpContext http, int status, string message)
    {
        if (http.Response.HasStarted)
            return;
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(new JsonObject { ["error"] = message }.ToJsonString()).ConfigureAwait(false);
    }
}
