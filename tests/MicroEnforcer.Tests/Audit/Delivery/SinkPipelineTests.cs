using System.Net.Sockets;
using MicroEnforcer.Audit.Delivery;
using Polly.CircuitBreaker;
using Xunit;

namespace MicroEnforcer.Tests.Audit.Delivery;

public sealed class SinkPipelineTests
{
    private static readonly SinkPipeline.Observer Quiet = new((_, _) => { }, _ => { }, () => { });

    [Fact]
    public void TheReceiversRetryAfter_IsTheDelay()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), SinkPipeline.DelayFor(new DeliveryFailure("HTTP 429", TimeSpan.FromSeconds(2))));
        Assert.Equal(TimeSpan.FromSeconds(7), SinkPipeline.DelayFor(new BrokenCircuitException("open", TimeSpan.FromSeconds(7))));
        Assert.Null(SinkPipeline.DelayFor(new DeliveryFailure("HTTP 500")));   // the backoff's
        Assert.Null(SinkPipeline.DelayFor(new IOException("reset")));
    }

    [Fact]
    public void PassingFailuresAreRetried_RefusalsAndTheSendersOwnCancellationAreNot()
    {
        using var stopping = new CancellationTokenSource();
        Assert.True(SinkPipeline.IsTransient(new DeliveryFailure("HTTP 503"), stopping.Token));
        Assert.True(SinkPipeline.IsTransient(new SocketException((int)SocketError.ConnectionRefused), stopping.Token));
        Assert.True(SinkPipeline.IsTransient(new IOException("broken pipe"), stopping.Token));
        Assert.True(SinkPipeline.IsTransient(new OperationCanceledException("timeout"), stopping.Token));   // a request's own timeout
        Assert.False(SinkPipeline.IsTransient(new DeliveryRefused("HTTP 400"), stopping.Token));
        Assert.False(SinkPipeline.IsTransient(new InvalidOperationException("a bug"), stopping.Token));
        stopping.Cancel();
        Assert.False(SinkPipeline.IsTransient(new OperationCanceledException(), stopping.Token));
    }

    [Fact]
    public void ABatchIsTriedAgainUntilItIsDelivered()
    {
        var failures = new List<Exception>();
        var pipeline = SinkPipeline.Build(Quiet with { Retrying = (e, _) => failures.Add(e) });
        int attempts = 0;

        // Retry-After 0: the receiver's delay, so the test does not wait out the backoff.
        pipeline.Execute(() =>
        {
            if (++attempts < 4)
                throw new DeliveryFailure($"HTTP 503 #{attempts}", TimeSpan.Zero);
        });

        Assert.Equal(4, attempts);
        Assert.Equal(["HTTP 503 #1", "HTTP 503 #2", "HTTP 503 #3"], failures.Select(e => e.Message));
    }

    [Fact]
    public void ARefusal_IsNotTriedAgain()
    {
        var pipeline = SinkPipeline.Build(Quiet);
        int attempts = 0;

        var refused = Assert.Throws<DeliveryRefused>(() => pipeline.Execute(() =>
        {
            attempts++;
            throw new DeliveryRefused("HTTP 400 Bad Request");
        }));

        Assert.Equal(1, attempts);
        Assert.Equal("HTTP 400 Bad Request", refused.Message);
    }

    [Fact]
    public void RepeatedFailures_OpenTheCircuit_ForItsBreakDuration()
    {
        TimeSpan? opened = null;
        var pipeline = SinkPipeline.Build(Quiet with { CircuitOpened = pause => opened = pause });
        int attempts = 0;
        using var stop = new CancellationTokenSource();

        // The circuit's pause is the next delay: the test stops the sender there.
        Assert.ThrowsAny<OperationCanceledException>(() => pipeline.Execute(cancel =>
        {
            attempts++;
            if (attempts == SinkPipeline.FailuresToBreak)
                stop.Cancel();
            throw new DeliveryFailure("HTTP 500", TimeSpan.Zero);
        }, stop.Token));

        Assert.Equal(SinkPipeline.FailuresToBreak, attempts);
        Assert.Equal(SinkPipeline.BreakDuration, opened);
    }
}
