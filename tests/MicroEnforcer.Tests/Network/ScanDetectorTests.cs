using System.Net;
using MicroEnforcer.Network;
using Xunit;

namespace MicroEnforcer.Tests.Network;

/// <summary>
/// The counting behind Port Scanning Detection, on a clock the test moves: distinct targets per
/// process and per parent over a sliding window, a report once per window the moment a threshold
/// is crossed, and the caps.
/// </summary>
public sealed class ScanDetectorTests
{
    private long _now = 1_000_000;

    private ScanDetector Detector(int ports = 20, int hosts = 50, int windowSeconds = 10) =>
        new(TimeSpan.FromSeconds(windowSeconds), ports, hosts, () => _now);

    private static IPEndPoint At(string host, int port) => new(IPAddress.Parse(host), port);

    [Fact]
    public void TheTwentiethPortOfOneHostIsAPortScan_ReportedAtOnce()
    {
        var detector = Detector();
        for (int port = 1; port < 20; port++)
            Assert.Null(detector.Observe(100, 10, At("10.0.0.1", port), failed: port % 2 == 0));

        var scan = detector.Observe(100, 10, At("10.0.0.1", 20), failed: true);

        Assert.NotNull(scan);
        Assert.Equal(100, scan.Pid);
        Assert.False(scan.ByChildren);
        Assert.Equal(IPAddress.Parse("10.0.0.1"), scan.Host);
        Assert.Null(scan.Port);
        Assert.Equal(20, scan.Crossed);
        Assert.Equal(20, scan.Count);
        Assert.Equal(10, scan.Failures);
        Assert.Equal([.. Enumerable.Range(1, 10).Select(p => $"10.0.0.1:{p}")], scan.Sample);
    }

    [Fact]
    public void TheFiftiethHostOnOnePortIsAHostSweep()
    {
        var detector = Detector();
        for (int host = 1; host < 50; host++)
            Assert.Null(detector.Observe(100, 10, At($"10.0.1.{host}", 22), failed: false));

        var scan = detector.Observe(100, 10, At("fd00::1", 22), failed: false);

        Assert.NotNull(scan);
        Assert.Null(scan.Host);
        Assert.Equal(22, scan.Port);
        Assert.Equal(50, scan.Crossed);
        Assert.Contains("10.0.1.1:22", scan.Sample);
    }

    [Fact]
    public void HostsOnDifferentPortsAreNotASweep_NorPortsOfDifferentHostsAScan()
    {
        var detector = Detector(ports: 5, hosts: 5);
        for (int i = 1; i <= 100; i++)
            Assert.Null(detector.Observe(100, 10, At($"10.0.{i / 4}.{i % 4}", 1000 + i), failed: false));
    }

    [Fact]
    public void AThousandConnectionsToOnePortAreOneTarget()
    {
        var detector = Detector(ports: 2, hosts: 2);
        for (int i = 0; i < 1000; i++)
            Assert.Null(detector.Observe(100, 10, At("127.0.0.1", 8080), failed: false));

        Assert.Equal(2, detector.Targets);   // the process's and its parent's
    }

    [Fact]
    public void OnlyOncePerWindow_ThenAgainWhileTheScanGoesOn()
    {
        var detector = Detector(windowSeconds: 10);
        int reports = 0;
        for (int port = 1; port <= 200; port++)
        {
            if (detector.Observe(100, 10, At("10.0.0.1", port), failed: true) is not null)
                reports++;
        }
        Assert.Equal(1, reports);

        _now += 9_999;
        Assert.Null(detector.Observe(100, 10, At("10.0.0.1", 201), failed: true));
        _now += 1;
        // A window after the report: the scan goes on, and what the window holds crosses again.
        for (int port = 202; port < 220; port++)
            Assert.Null(detector.Observe(100, 10, At("10.0.0.1", port), failed: true));
        var again = detector.Observe(100, 10, At("10.0.0.1", 220), failed: true);
        Assert.NotNull(again);
        Assert.Equal(20, again.Count);   // 201..220 are in the window; 1..200 expired
        Assert.Equal("10.0.0.1:201", again.Sample[0]);
    }

    [Fact]
    public void TriesOlderThanTheWindowDoNotCount()
    {
        var detector = Detector(ports: 20, windowSeconds: 10);
        for (int port = 1; port <= 19; port++)
        {
            Assert.Null(detector.Observe(100, 10, At("10.0.0.1", port), failed: false));
            _now += 1_000;   // one port a second: never 20 within 10 s
        }
        for (int port = 20; port <= 100; port++)
        {
            Assert.Null(detector.Observe(100, 10, At("10.0.0.1", port), failed: false));
            _now += 1_000;
        }
    }

    [Fact]
    public void ARetriedTargetKeepsItsFirstTime()
    {
        var detector = Detector(ports: 3, windowSeconds: 10);
        Assert.Null(detector.Observe(100, 1, At("10.0.0.1", 1), failed: false));
        _now += 6_000;
        Assert.Null(detector.Observe(100, 1, At("10.0.0.1", 1), failed: false));   // not younger for it
        Assert.Null(detector.Observe(100, 1, At("10.0.0.1", 2), failed: false));
        _now += 4_000;   // port 1's first try left the window
        Assert.Null(detector.Observe(100, 1, At("10.0.0.1", 3), failed: false));
        Assert.NotNull(detector.Observe(100, 1, At("10.0.0.1", 4), failed: false));
    }

    [Fact]
    public void ProcessesTryingOnePortEach_AreTheirParentsScan()
    {
        var detector = Detector();
        ScanDetection? scan = null;
        for (int port = 1; port <= 20; port++)
        {
            scan = detector.Observe(1000 + port, 50, At("127.0.0.1", port), failed: true);
            if (port < 20)
                Assert.Null(scan);
        }

        Assert.NotNull(scan);
        Assert.Equal(50, scan.Pid);
        Assert.True(scan.ByChildren);
        Assert.Equal(20, scan.Count);
        Assert.Equal(20, scan.Failures);
        for (int port = 21; port <= 60; port++)
            Assert.Null(detector.Observe(1000 + port, 50, At("127.0.0.1", port), failed: true));
    }

    [Fact]
    public void AProcessReportedStandsForItsParent_AndTheParentForItsChildren()
    {
        var detector = Detector(ports: 5);
        // The scanner and its shell cross together: one report, the scanner's.
        ScanDetection? scan = null;
        for (int port = 1; port <= 5; port++)
            scan = detector.Observe(100, 50, At("10.0.0.1", port), failed: false);
        Assert.Equal(100, scan!.Pid);
        Assert.All(Enumerable.Range(6, 50), p => Assert.Null(detector.Observe(100, 50, At("10.0.0.1", p), failed: false)));
        // Another child of that shell scanning within the window: the shell's scan, reported already.
        Assert.All(Enumerable.Range(1, 10), p => Assert.Null(detector.Observe(101, 50, At("10.0.0.2", p), failed: false)));
    }

    [Fact]
    public void PidOneIsNoParent_AndDifferentProcessesAreNotAddedUp()
    {
        var detector = Detector(ports: 5);
        for (int port = 1; port <= 50; port++)
            Assert.Null(detector.Observe(1000 + port, 1, At("10.0.0.1", port), failed: false));
        for (int port = 1; port <= 50; port++)
            Assert.Null(detector.Observe(2000 + port, 0, At("10.0.0.1", port), failed: false));
    }

    [Fact]
    public void OneProcessHoldsAtMostItsCapOfTargets()
    {
        var detector = Detector(ports: 4096, hosts: 4096, windowSeconds: 3600);
        for (int i = 0; i < ScanDetector.MaxTargetsPerInitiator + 1000; i++)
            detector.Observe(100, 0, At($"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", 1 + (i % 3)), failed: false);

        Assert.Equal(ScanDetector.MaxTargetsPerInitiator, detector.Targets);
    }

    [Fact]
    public void ManyProcessesHoldAtMostTheCaps()
    {
        var detector = Detector(ports: 4096, hosts: 4096, windowSeconds: 3600);
        for (int pid = 2; pid < 2 + ScanDetector.MaxInitiators + 500; pid++)
        {
            for (int port = 1; port <= 40; port++)
                detector.Observe(pid, 0, At("10.0.0.1", port), failed: false);
        }

        Assert.True(detector.Initiators <= ScanDetector.MaxInitiators, $"{detector.Initiators} initiators");
        Assert.True(detector.Targets <= ScanDetector.MaxTargets, $"{detector.Targets} targets");
    }

    [Fact]
    public void ProcessesWhoseWindowIsOverAreForgotten()
    {
        var detector = Detector(windowSeconds: 10);
        for (int pid = 2; pid < 2 + ScanDetector.MaxInitiators; pid++)
            detector.Observe(pid, 0, At("10.0.0.1", 80), failed: false);
        _now += 10_000;

        detector.Observe(99_999, 0, At("10.0.0.1", 80), failed: false);

        Assert.Equal(1, detector.Initiators);
        Assert.Equal(1, detector.Targets);
    }

    [Fact]
    public void ConcurrentTriesAreCountedOnce()
    {
        var detector = Detector(ports: 1000, hosts: 4096);
        int reports = 0;
        Parallel.For(1, 1001, port =>
        {
            if (detector.Observe(100, 0, At("10.0.0.1", port), failed: false) is not null)
                Interlocked.Increment(ref reports);
        });

        Assert.Equal(1, reports);
        Assert.Equal(1000, detector.Targets);
    }
}
