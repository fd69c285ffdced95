using MicroEnforcer.Injector.Fargate;
using MicroEnforcer.Injector.Hosting;

// microenforcer-injector                    the Kubernetes admission webhook (HTTPS)
// microenforcer-injector fargate inject ... rewrite an ECS task definition (see FargateInjectCommand)
if (args is ["fargate", "inject", .. var rest])
    return await FargateInjectCommand.RunAsync(rest, Console.Out, Console.Error, CancellationToken.None).ConfigureAwait(false);
if (args is ["fargate", ..])
{
    await Console.Error.WriteLineAsync(FargateInjectCommand.Usage).ConfigureAwait(false);
    return 64;
}

Microsoft.AspNetCore.Builder.WebApplication app;
try
{
    app = WebhookServer.Build(args is ["serve", .. var serveArgs] ? serveArgs : args);
}
catch (Microsoft.Extensions.Options.OptionsValidationException e)
{
    await Console.Error.WriteLineAsync($"microenforcer-injector: {e.Message}").ConfigureAwait(false);
    return 78; // EX_CONFIG
}
await app.RunAsync().ConfigureAwait(false);
return 0;
