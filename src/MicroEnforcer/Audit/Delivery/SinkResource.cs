using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Audit.Delivery;

/// <summary>
/// The <see cref="AuditResource"/> the network sinks put on their events, made on first use on a
/// sender thread (never on PID 1's notify loop): the environment's identity, with ECS's container
/// metadata when <see cref="EcsMetadata.Variable"/> is set.
/// </summary>
internal sealed class SinkResource(Func<string, string?> environment, ILogger log)
{
    private readonly Lazy<AuditResource> _value = new(() => Make(environment, log), LazyThreadSafetyMode.ExecutionAndPublication);

    public AuditResource Value => _value.Value;

    private static AuditResource Make(Func<string, string?> environment, ILogger log)
    {
        if (environment(EcsMetadata.Variable) is not { Length: > 0 } uri)
            return AuditResource.Current;
        if (EcsMetadata.Fetch(uri, out string? error) is { } json)
        {
            try
            {
                return AuditResource.FromEcsMetadata(json);
            }
            catch (FormatException e)
            {
                error = $"{EcsMetadata.Variable}: {e.Message}";
            }
        }
        Log.AuditEcsMetadataUnavailable(log, error!);
        return AuditResource.Current;
    }
}
