using MicroEnforcer.IntegrationTests.Audit.Receivers;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;
using static MicroEnforcer.IntegrationTests.Audit.SinkRun;

namespace MicroEnforcer.IntegrationTests.Audit;

/// <summary>
/// The HTTP sinks when the receiver fails: down at start, down for 30 s mid-run, slow, a
/// blackhole, 500s, 429 and 503 with Retry-After, and a 100,000-event burst into a small queue.
/// No timing is asserted: "decisions are not delayed" is shown by the workload finishing while
/// the receiver has answered nothing (or fewer requests than a synchronous sender would need);
/// Retry-After by the order of the recorded request times.
/// What "delivered" means: a request the receiver answered 2xx. Delivery is at least once, so a
/// duplicate could only come from a 2xx answer the sender did not see; these receivers answer at
/// once on the loopback or not at all, so each test asserts every event exactly once.
/// </summary>
public sealed class SinkFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_arrival = TimeSpan.FromSeconds(120);

    private static string[] Names(string prefix, int count) => [.. Enumerable.Range(1, count).Select(i => $"{prefix}{i}")];

    private static string DriftExecs(IEnumerable<string> names) => string.Join("; ", names.Select(DriftExec));

    private static List<string> DriftPaths(OtlpReceiver otlp) =>
        [.. otlp.Records.Where(e => e.Attribute(Control) == "drift").Select(e => e.Attribute(ExecutablePath))];

    private static int DriftCount(OtlpReceiver otlp) => DriftPaths(otlp).Count;

    private void AssertEachExactlyOnce(OtlpReceiver otlp, IEnumerable<string> names)
    {
        List<string> paths = DriftPaths(otlp);
        output.WriteLine($"delivered: {string.Join(", ", paths)}; requests: {string.Join(", ", otlp.Http.Requests.Select(q => q.Status?.ToString() ?? "unanswered"))}");
        Assert.Empty(otlp.Http.Malformed);
        Assert.Equal(names.Select(n => "/bin/" + n).Order(), paths.Order());
    }

    private RunResult Finish(RunningContainer container, string go = "go")
    {
        Signal(container, go);
        RunResult r = container.WaitForExit(TimeSpan.FromSeconds(120));
        output.WriteLine(Shorten(r.ToString()));
        return r;
    }

    [Fact]
    public void ReceiverDownAtStart_TheEventsArriveOnceItIsUp()
    {
        using var otlp = new OtlpReceiver();   // its port chosen, nothing listening yet
        string[] names = Names("early", 3);
        using var container = Start($"{DriftExecs(names)}; echo produced; {WaitFor("go")}", Policy(OtlpSink(otlp)));

        container.WaitForStdout("produced");
        otlp.Http.Up();
        otlp.Http.WaitFor(_ => DriftCount(otlp) >= names.Length, "the events made while it was down", s_arrival);
        var r = Finish(container);

        Assert.Equal(0, r.ExitCode);
        AssertEachExactlyOnce(otlp, names);
    }

    [Fact]
    public void ReceiverDownFor30sMidRun_NothingTheQueueHeldIsLost()
    {
        using var otlp = new OtlpReceiver();
        otlp.Http.Up();
        string[] before = Names("before", 3), during = Names("during", 5), after = Names("after", 2);
        string script = $"{DriftExecs(before)}; echo phase1; {WaitFor("down")}; {DriftExecs(during)}; echo phase2; {WaitFor("up")}; {DriftExecs(after)}; echo phase3; {WaitFor("go")}";
        using var container = Start(script, Policy(OtlpSink(otlp)));

        otlp.Http.WaitFor(_ => DriftCount(otlp) >= before.Length, "the events before the outage", s_arrival);
        otlp.Http.Down();
        Signal(container, "down");
        container.WaitForStdout("phase2");
        Thread.Sleep(TimeSpan.FromSeconds(30));   // the outage the issue names: the queue holds the events meanwhile
        otlp.Http.Up();
        Signal(container, "up");
        otlp.Http.WaitFor(_ => DriftCount(otlp) >= before.Length + during.Length + after.Length, "every event after the outage", s_arrival);
        var r = Finish(container);

        Assert.Equal(0, r.ExitCode);
        AssertEachExactlyOnce(otlp, [.. before, .. during, .. after]);
    }

    [Fact]
    public void SlowReceiver_TheWorkloadIsNotHeldByDelivery_AndEverythingArrives()
    {
        using var otlp = new OtlpReceiver();
        otlp.Http.Fault = ReceiverFault.Slow(TimeSpan.FromSeconds(5));
        otlp.Http.Up();
        string[] names = Names("slow", 20);
        using var container = Start($"{DriftExecs(names)}; echo workload-done; {WaitFor("go")}", Policy(OtlpSink(otlp, timeout: "10s")));

        container.WaitForStdout("workload-done");
        int answered = otlp.Http.Requests.Count(q => q.Status is not null);
        output.WriteLine($"requests answered when the workload was done: {answered}");
        // A sender that held each decision until its event was delivered would have had one
        // answered request per blocked exec before the 20th exec could be decided.
        Assert.True(answered < names.Length, $"{answered} requests answered by the time 20 execs were decided");
        otlp.Http.WaitFor(_ => DriftCount(otlp) >= names.Length, "every event through the slow receiver", TimeSpan.FromSeconds(200));
        var r = Finish(container);

        Assert.Equal(0, r.ExitCode);
        Assert.All(names, n => Assert.Contains($"{n}=126", r.Stdout));
        AssertEachExactlyOnce(otlp, names);
    }

    [Fact]
    public void BlackholedReceiver_TheWorkloadRunsToTheEnd_AndTheFlushAtExitIsBounded()
    {
        using var otlp = new OtlpReceiver();
        otlp.Http.Fault = ReceiverFault.BlackholeMode;
        otlp.Http.Up();
        string[] names = Names("hole", 20);
        string policy = Policy($"{StderrSink}\n{OtlpSink(otlp)}", flushTimeout: "3s", sections: FileBlockAudit);

        // No wait at the end: PID 1 must exit by itself, its flush bounded by flushTimeout.
        using var container = Start($"{DriftExecs(names)}; /opt/tests/open_loop /data/secret 500; echo workload-done", policy);
        container.WaitForStdout("workload-done");

        Assert.DoesNotContain(otlp.Http.Requests, q => q.Status is not null);   // nothing was ever answered
        var r = container.WaitForExit(TimeSpan.FromSeconds(90));
        output.WriteLine(Shorten(r.ToString()));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("open_loop: 500 opens", r.Stdout);
        Assert.All(names, n => Assert.Contains($"{n}=126", r.Stdout));
        Assert.Equal(names.Length, r.Events("drift", "blocked").Count());
        Assert.Equal(500, r.Events("fileBlock", "detected").Count());
        Assert.Empty(otlp.Http.Accepted);
    }

    [Fact]
    public void FiveHundreds_AreRetried_ThenEveryEventIsDeliveredOnce()
    {
        using var otlp = new OtlpReceiver();
        otlp.Http.Fault = ReceiverFault.Failing(3, 500);
        otlp.Http.Up();
        string[] names = Names("retry", 5);
        using var container = Start($"{DriftExecs(names)}; {WaitFor("go")}", Policy(OtlpSink(otlp)));

        otlp.Http.WaitFor(_ => DriftCount(otlp) >= names.Length, "every event after the 500s", s_arrival);
        var r = Finish(container);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(3, otlp.Http.Requests.Count(q => q.Status == 500));
        AssertEachExactlyOnce(otlp, names);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public void RetryAfter_IsHonoured(int status)
    {
        using var otlp = new OtlpReceiver();
        otlp.Http.Fault = ReceiverFault.Failing(1, status, retryAfter: "2");
        otlp.Http.Up();
        using var container = Start($"{DriftExec("later")}; {WaitFor("go")}", Policy(OtlpSink(otlp)));

        otlp.Http.WaitFor(_ => DriftCount(otlp) >= 1, $"the event after a {status}", s_arrival);
        var r = Finish(container);

        Assert.Equal(0, r.ExitCode);
        IReadOnlyList<ReceivedRequest> requests = otlp.Http.Requests;
        output.WriteLine(string.Join("\n", requests.Select(q => $"{q.ReceivedAt.TotalMilliseconds:F0} ms: {q.Status}")));
        ReceivedRequest refused = requests[0];
        Assert.Equal(status, refused.Status);
        // Ordering of recorded times, not a latency: no request came before Retry-After allowed.
        ReceivedRequest next = requests[1];
        Assert.True(next.ReceivedAt >= refused.AnsweredAt!.Value + TimeSpan.FromSeconds(2),
            $"the retry came {(next.ReceivedAt - refused.AnsweredAt!.Value).TotalMilliseconds:F0} ms after the {status} with Retry-After: 2");
        AssertEachExactlyOnce(otlp, ["later"]);
    }

    [Fact]
    public void ABurstOf100000Events_IntoAQueueOf1000_WhileTheReceiverIsDown_DropCountIsExact()
    {
        const int Produced = 100_000;
        using var otlp = new OtlpReceiver();   // down during the burst
        string policy = Policy($"{StderrSink}\n{OtlpSink(otlp)}", queueSize: 1000, sections: FileBlockAudit);
        using var container = Start($"/opt/tests/open_loop /data/secret {Produced}; echo burst-done; {WaitFor("go")}", policy);

        container.WaitForStdout("burst-done", timeoutMs: 600_000);
        otlp.Http.Up();
        static int Delivered(OtlpReceiver otlp) => otlp.Records.Count(e => e.Attribute(Control) == "fileBlock");
        static long Dropped(OtlpReceiver otlp) => otlp.Records.Select(DroppedCount).Sum() ?? 0;
        otlp.Http.WaitFor(_ => Dropped(otlp) > 0 && Delivered(otlp) + Dropped(otlp) >= Produced, "the queue's events and the drop count", s_arrival);
        var r = Finish(container);

        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"open_loop: {Produced} opens", r.Stdout);
        Assert.Equal(Produced, r.Events("fileBlock", "detected").Count());   // stderr: every event produced
        Assert.Empty(otlp.Http.Malformed);
        var drops = otlp.Records.Where(e => DroppedCount(e) is not null).ToList();
        output.WriteLine($"delivered {Delivered(otlp)}, drop events: {string.Join("; ", drops)}");
        OtlpRecord drop = Assert.Single(drops);   // one SinkDrop, once the sink delivered again
        Assert.Equal("audit", drop.Attribute(Control));
        Assert.Equal(Produced, Delivered(otlp) + DroppedCount(drop)!.Value);
        // The other sinks hear of the drops too: stderr has the same SinkDrop event.
        var onStderr = Assert.Single(r.Events("audit", "observed"), e => DroppedInReason(e.GetProperty("reason").GetString()!) is not null);
        Assert.Equal(DroppedCount(drop), DroppedInReason(onStderr.GetProperty("reason").GetString()!));
        // Nothing the queue could hold is lost: at least its 1000 (a batch in the sender's hands
        // may add to that), and the rest is counted.
        Assert.InRange(Delivered(otlp), 1000, Produced - 1);
    }
}
