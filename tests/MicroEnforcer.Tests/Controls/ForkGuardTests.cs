using System.Text;
using MicroEnforcer.Audit;
using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

/// <summary>
/// Fork Guard's counting, with the process count given by the test: an upper bound between
/// counts, an exact count before any refusal, forks in flight per thread. The threads are made
/// up (ids no process has), so /proc/TID/syscall says they are gone: their forks are done.
/// </summary>
public sealed class ForkGuardTests
{
    private const int EAGAIN = 11;
    private const uint ForkNr = 57;
    private const int NoSuchThread = 999_999_001;   // above pid_max: never a real task

    private readonly List<string> _events = [];
    private int _processes = 2;
    private int _counts;
    private int _reaped;

    // The guard's clock: real time unless a test holds it still (how long a count stands is part of the decision).
    private long? _now;

    private ForkGuard Guard(int max, EnforcementMode mode = EnforcementMode.Enforce) =>
        new(new ForkGuardPolicy(true, mode, max), new AuditLog(line => _events.Add(Encoding.UTF8.GetString(line.Span))),
            () => { _counts++; return _processes; }, () => _reaped, () => _now ?? System.Diagnostics.Stopwatch.GetTimestamp());

    [Fact]
    public void BetweenCountsTheBoundGrowsWithEveryForkAllowed()
    {
        using ForkGuard guard = Guard(max: 100);

        for (int i = 0; i < 50; i++)
            Assert.Equal(0, guard.Decide(NoSuchThread, "fork", ForkNr));

        Assert.Equal(1, _counts);   // the first fork counted; the next 49 were inside the bound
    }

    [Fact]
    public void AtTheBoundItCountsExactlyBeforeItRefuses()
    {
        using ForkGuard guard = Guard(max: 10);

        // Fork/exit/wait churn: the container never holds more than 2 processes.
        for (int i = 0; i < 1000; i++)
            Assert.Equal(0, guard.Decide(NoSuchThread, "fork", ForkNr));

        Assert.True(_counts > 1, "never counted again");
        Assert.True(_counts <= 1000 / 7, $"{_counts} counts: one per fork would cost more than the forks");
        Assert.Empty(_events);
    }

    [Fact]
    public void AFullContainerIsRefusedAndReportedOnce()
    {
        using ForkGuard guard = Guard(max: 10);
        _processes = 10;

        Assert.Equal(-EAGAIN, guard.Decide(NoSuchThread, "fork", ForkNr));
        Assert.Equal(-EAGAIN, guard.Decide(NoSuchThread, "clone", ForkNr));
        guard.Flush();

        string e = Assert.Single(_events);
        Assert.Contains("\"control\":\"forkGuard\"", e);
        Assert.Contains("\"action\":\"blocked\"", e);
        Assert.Contains("10 processes in the container, maxProcesses 10; 2 process creations refused (EAGAIN)", e);
        Assert.Contains("\"count\":2", e);
    }

    [Fact]
    public void AnExactCountAtTheLimitStandsBrieflyUnlessSomethingWasReaped()
    {
        _now = System.Diagnostics.Stopwatch.GetTimestamp();   // held still: "within 2 ms" whatever the machine is doing
        using ForkGuard guard = Guard(max: 10);
        _processes = 10;
        Assert.Equal(-EAGAIN, guard.Decide(NoSuchThread, "fork", ForkNr));
        Assert.Equal(-EAGAIN, guard.Decide(NoSuchThread, "fork", ForkNr));   // the first count at the limit learns what was reaped
        int counts = _counts;

        Assert.Equal(-EAGAIN, guard.Decide(NoSuchThread, "fork", ForkNr));   // within 2 ms: the count stands
        Assert.Equal(counts, _counts);

        _processes = 3;
        _reaped++;   // PID 1 reaped a zombie: count again at once
        Assert.Equal(0, guard.Decide(NoSuchThread, "fork", ForkNr));
        Assert.Equal(counts + 1, _counts);
    }

    [Fact]
    public void ItCanForkAgainOnceProcessesLeave()
    {
        using ForkGuard guard = Guard(max: 10);
        _processes = 10;
        Assert.Equal(-EAGAIN, guard.Decide(NoSuchThread, "fork", ForkNr));

        _processes = 4;
        Thread.Sleep(5);   // past the 2 ms an exact count at the limit stands
        Assert.Equal(0, guard.Decide(NoSuchThread, "fork", ForkNr));
    }

    [Fact]
    public void AForkOfAThreadThatIsStillRunningCountsUntilItsNextCall()
    {
        // A thread that spins: /proc/TID/syscall says "running", so PID 1 cannot tell whether its
        // fork has made the child yet, and counts it as in flight (the safe side).
        int spinner = 0;
        using var stop = new CancellationTokenSource();
        var thread = new Thread(() =>
        {
            Volatile.Write(ref spinner, MicroEnforcer.Interop.Libc.GetTid());
            while (!stop.IsCancellationRequested)
                Thread.SpinWait(1000);
        });
        thread.Start();
        while (Volatile.Read(ref spinner) == 0)
            Thread.Yield();
        try
        {
            // On a loaded machine the spinner may be preempted in user mode when it is looked at:
            // /proc then says it is out of any syscall, so its fork is (rightly) taken as done.
            // The case under test is the one where it is seen running; the test waits for it.
            for (int attempt = 0; attempt < 50; attempt++)
            {
                using ForkGuard guard = Guard(max: 3);
                _processes = 2;

                Assert.Equal(0, guard.Decide(spinner, "fork", ForkNr));          // 2 listed: allowed
                int second = guard.Decide(NoSuchThread, "fork", ForkNr);
                if (second == 0 && guard.InFlight == 0)
                {
                    Thread.Sleep(10);   // seen preempted: its fork is done, 2 + 0 < 3; look again
                    continue;
                }
                Assert.Equal(-EAGAIN, second);   // 2 listed + 1 in flight = 3
                Assert.Equal(1, guard.InFlight);

                // The spinner's next notified call ends its fork: 2 + 0 < 3.
                Thread.Sleep(5);
                Assert.Equal(0, guard.Decide(spinner, "fork", ForkNr));
                return;
            }
            Assert.Fail("the spinning thread was never seen running in 50 looks");
        }
        finally
        {
            stop.Cancel();
            thread.Join();
        }
    }

    [Fact]
    public void InAuditModeTheForkHappensAndIsReported()
    {
        using ForkGuard guard = Guard(max: 10, EnforcementMode.Audit);
        _processes = 10;

        Assert.Equal(0, guard.Decide(NoSuchThread, "fork", ForkNr));
        guard.Flush();

        Assert.Contains("\"action\":\"detected\"", Assert.Single(_events));
    }
}
