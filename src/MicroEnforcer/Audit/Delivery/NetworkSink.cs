using MicroEnforcer.Audit.Schema.V1;
using Microsoft.Extensions.Logging;
using Polly;

namespace MicroEnforcer.Audit.Delivery;

/// <summary>
/// A sink that delivers over the network. <see cref="Write"/> only queues (<see cref="SinkQueue{T}"/>):
/// PID 1's notify loop never waits for a receiver. A dedicated thread, not the task pool (which
/// a stalled receiver could starve for the rest of PID 1), takes batches and delivers them
/// through the sink's <see cref="SinkPipeline"/>, retrying the head batch until it is delivered
/// while the queue fills behind it. After drops, once a batch is delivered, one SinkDrop event
/// with the exact count is sent on this sink and written to the others.
/// </summary>
internal abstract class NetworkSink : AuditSink
{
    // How long an idle sender sleeps between looks at its stop flag.
    private static readonly TimeSpan s_idleWait = TimeSpan.FromSeconds(1);

    private readonly SinkQueue<Event> _queue;
    private readonly ResiliencePipeline _pipeline;
    private readonly Func<NetworkSink, long, Event> _dropped;
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _log;
    private readonly List<Event> _batch = [];
    private Thread? _thread;
    private volatile bool _flushing;
    private bool _failing;   // sender thread only: logging once per change, not per retry
    private long _delivered;

    /// <param name="dropped">Makes the SinkDrop event for this sink's count, and writes it to the other sinks.</param>
    protected NetworkSink(int queueSize, Func<NetworkSink, long, Event> dropped, ILogger log)
    {
        _queue = new SinkQueue<Event>(queueSize);
        _dropped = dropped;
        _log = log;
        _pipeline = SinkPipeline.Build(new SinkPipeline.Observer(Retrying, CircuitOpened, CircuitClosed));
    }

    /// <summary>The sink's type, which names its thread (audit-otlp).</summary>
    protected abstract string Type { get; }

    /// <summary>Most events one delivery carries.</summary>
    protected abstract int MaxBatch { get; }

    /// <summary>Events delivered so far (read by tests and the flush log).</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Events queued now.</summary>
    public int Queued => _queue.Count;

    public override void Write(Event e) => _queue.Offer(e);

    public override void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = $"audit-{Type}" };
        _thread.Start();
        Log.AuditSinkStarted(_log, Name, _queue.Capacity);
    }

    /// <summary>
    /// Delivers <paramref name="batch"/> once, throwing <see cref="DeliveryFailure"/> (or an
    /// I/O error) when another try may succeed and <see cref="DeliveryRefused"/> when none will.
    /// Runs on the sender thread only.
    /// </summary>
    protected abstract void Deliver(IReadOnlyList<Event> batch, CancellationToken cancel);

    private void Run()
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            if (_batch.Count == 0 && _queue.Take(_batch, MaxBatch, _flushing ? TimeSpan.Zero : s_idleWait) == 0)
            {
                if (_flushing)
                    return;   // everything delivered
                continue;
            }
            try
            {
                _pipeline.Execute(static (state, cancel) => state.Sink.Deliver(state.Batch, cancel), (Sink: this, Batch: _batch), stop);
                Interlocked.Add(ref _delivered, _batch.Count);
                _batch.Clear();
                Recovered();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;   // the flush's deadline: the batch stays counted as undelivered
            }
            catch (DeliveryRefused refused)
            {
                Log.AuditDeliveryRefused(_log, Name, _batch.Count, refused.Message);
                _batch.Clear();
            }
#pragma warning disable CA1031 // the sender must outlive a fault of its own: the events are dropped and it goes on
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.AuditSinkFault(_log, Name, _batch.Count, e);
                _batch.Clear();
            }
        }
    }

    /// <summary>After a delivery: the end of a failing spell, and the drops since the last one, reported once.</summary>
    private void Recovered()
    {
        long dropped = _queue.TakeDropped();
        if (_failing)
        {
            _failing = false;
            Log.AuditDeliveryRecovered(_log, Name, dropped);
        }
        else if (dropped > 0)
        {
            Log.AuditEventsDropped(_log, Name, dropped);
        }
        if (dropped > 0)
            _batch.Add(_dropped(this, dropped));   // the next delivery, ahead of the queue
    }

    private void Retrying(Exception failure, TimeSpan delay)
    {
        if (_failing)
            return;
        _failing = true;
        Log.AuditDeliveryFailing(_log, Name, failure.Message, delay.TotalSeconds);
    }

    private void CircuitOpened(TimeSpan pause) => Log.AuditCircuitOpened(_log, Name, pause.TotalSeconds);

    private void CircuitClosed() => Log.AuditCircuitClosed(_log, Name);

    public override long Flush(DateTime deadline)
    {
        if (_thread is null)
            return _queue.Count;
        _flushing = true;
        _queue.Wake();
        TimeSpan left = deadline - DateTime.UtcNow;
        if (left > TimeSpan.Zero && _thread.Join(left))
            return 0;
        _stop.Cancel();
        _queue.Wake();
        // The sender stops at its next cancellation point (a request, a wait); it is a
        // background thread, so one stuck in a connect does not hold the exit.
        _thread.Join(TimeSpan.FromMilliseconds(500));
        return _queue.Count + _batch.Count;
    }

    // The token source is not disposed: a sender still unwinding may read its token.
    public override void Dispose()
    {
        _stop.Cancel();
        base.Dispose();
    }
}
