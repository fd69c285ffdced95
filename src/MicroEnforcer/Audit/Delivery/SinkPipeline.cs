using System.Net.Sockets;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace MicroEnforcer.Audit.Delivery;

/// <summary>
/// How a network sink's sender tries a batch (Polly): retried without limit while the queue
/// fills behind it, after exponentially growing delays with jitter (0.5 s doubling to 30 s), or
/// after the receiver's Retry-After; inside the retries, a circuit breaker that stops sending for
/// <see cref="BreakDuration"/> once <see cref="FailuresToBreak"/> attempts in a row have failed,
/// then lets one probe through (half-open). A refusal for good (<see cref="DeliveryRefused"/>) and
/// the sender's own cancellation (stop, or the flush's deadline) pass through untouched.
/// </summary>
internal static class SinkPipeline
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan LongestDelay = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(15);
    public const int FailuresToBreak = 5;

    /// <summary>The callbacks a sender learns of failures and of the circuit through.</summary>
    public sealed record Observer(Action<Exception, TimeSpan> Retrying, Action<TimeSpan> CircuitOpened, Action CircuitClosed);

    public static ResiliencePipeline Build(Observer observer, TimeProvider? time = null)
    {
        var builder = new ResiliencePipelineBuilder();
        if (time is not null)
            builder.TimeProvider = time;
        return builder
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome.Exception, args.Context.CancellationToken)),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = FirstDelay,
                MaxDelay = LongestDelay,
                DelayGenerator = args => ValueTask.FromResult(DelayFor(args.Outcome.Exception)),
                OnRetry = args =>
                {
                    observer.Retrying(args.Outcome.Exception!, args.RetryDelay);
                    return default;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome.Exception, args.Context.CancellationToken)),
                // Every attempt failing, FailuresToBreak of them within the window: the receiver is down.
                FailureRatio = 1.0,
                MinimumThroughput = FailuresToBreak,
                SamplingDuration = TimeSpan.FromMinutes(2),
                BreakDuration = BreakDuration,
                OnOpened = args =>
                {
                    observer.CircuitOpened(args.BreakDuration);
                    return default;
                },
                OnClosed = _ =>
                {
                    observer.CircuitClosed();
                    return default;
                },
            })
            .Build();
    }

    /// <summary>
    /// The receiver's Retry-After, or the open circuit's remaining break; null: the exponential
    /// backoff's delay.
    /// </summary>
    public static TimeSpan? DelayFor(Exception? failure) => failure switch
    {
        DeliveryFailure { RetryAfter: { } retryAfter } => retryAfter,
        BrokenCircuitException { RetryAfter: { } remaining } => remaining,
        _ => null,
    };

    /// <summary>
    /// Whether another try may succeed: a failure the sink reported as passing, an open circuit,
    /// a connection or stream error, or a timeout; not a refusal for good, and not the sender's
    /// own cancellation (<paramref name="stopping"/>).
    /// </summary>
    public static bool IsTransient(Exception? failure, CancellationToken stopping) => failure switch
    {
        null or DeliveryRefused => false,
        OperationCanceledException => !stopping.IsCancellationRequested,
        DeliveryFailure or BrokenCircuitException or IOException or SocketException or TimeoutException => true,
        _ => false,
    };
}
