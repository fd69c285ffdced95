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

var app = WebhookServer.Build(args is ["serve", .. var serveArgs] ? serveArgs : args);
await app.RunAsync().ConfigureAwait(false);
return 0;
