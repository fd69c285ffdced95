using System.Text.Json;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Controls;

/// <summary>
/// System Integrity Monitoring against real calls (TestPrograms/sim_calls.c: every call fails in
/// the kernel's argument checks or acts in a namespace of its own, so nothing on the machine
/// changes). Each attempted change is one event with its arguments decoded; reads of the clock
/// are none; and every call answers exactly what it answers without the enforcer.
/// </summary>
public sealed class SystemIntegrityTests(ITestOutputHelper output)
{
    private const string Policy = """
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        spec:
          systemIntegrityMonitoring: { enabled: true }
        """;

    // case, syscall in the event, what its reason must contain (null: no event).
    private static readonly (string Case, string? Syscall, string? Reason)[] X86_64Cases =
    [
        ("sethostname_long", "sethostname", "sethostname(\"sim-name-that-is-far-too-long-for-a-hostname-which-the-kernel-caps-at-\", length 70"),
        ("sethostname_ns", "sethostname", "sethostname(\"sim-host\", length 8)"),
        ("setdomainname_long", "setdomainname", "length 70"),
        ("settimeofday_bad", "settimeofday", "settimeofday(time 2001-09-09T01:46:40Z (1000000000 s 2000000 us), timezone unchanged)"),
        ("clock_settime_bad", "clock_settime", "clock_settime(CLOCK_REALTIME, time 2001-09-09T01:46:40Z (1000000000 s -1 ns))"),
        ("adjtimex_read", null, null),
        ("adjtimex_ss_read", null, null),
        ("adjtimex_tick_bad", "adjtimex", "adjtimex(modes 0x4000 (ADJ_TICK))"),
        ("clock_adjtime_read", null, null),
        ("clock_adjtime_tick_bad", "clock_adjtime", "clock_adjtime(CLOCK_REALTIME, modes 0x4000 (ADJ_TICK))"),
        ("mount_tmpfs", "mount", "mount(source \"sim-src\", target \"/tmp/sim-mnt\", type \"tmpfs\", flags 0x6 (MS_NOSUID|MS_NODEV))"),
        ("umount_tmpfs", "umount2", "umount2(\"/tmp/sim-mnt\", flags 0x2 (MNT_DETACH))"),
        ("mount_missing", "mount", "target \"/nonexistent/sim\""),
        ("pivot_root_missing", "pivot_root", "pivot_root(new root \"/nonexistent/sim\", old root to \"/nonexistent/sim2\")"),
        ("reboot_bad_magic", "reboot", "reboot(LINUX_REBOOT_CMD_POWER_OFF 0x4321fedc, invalid magic 0x12345678/0x0)"),
        ("swapon_missing", "swapon", "swapon(\"/nonexistent/sim\", flags 0x0)"),
        ("swapoff_missing", "swapoff", "swapoff(\"/nonexistent/sim\")"),
        ("acct_missing", "acct", "acct(\"/nonexistent/sim\")"),
        ("init_module_garbage", "init_module", "init_module(image of 16 bytes, parameters \"\")"),
        ("finit_module_devnull", "finit_module", "finit_module(fd 3 (/dev/null)"),
        ("delete_module_missing", "delete_module", "delete_module(\"sim_no_such_module\", flags 0x800)"),
        ("kexec_load_bad", "kexec_load", "kexec_load(entry 0x0, 1000 segment(s), flags 0x0)"),
        ("kexec_file_load_bad", "kexec_file_load", "kexec_file_load(kernel fd -1, initrd fd -1"),
    ];

    private static readonly (string Case, string? Syscall, string? Reason)[] I386Cases =
    [
        ("i386_sethostname_long", "sethostname", "length 70"),
        ("i386_settimeofday_bad", "settimeofday", "settimeofday(time 2001-09-09T01:46:40Z (1000000000 s 2000000 us)"),
        ("i386_stime_bad", "stime", "stime(time -1)"),
        ("i386_clock_settime_bad", "clock_settime", "clock_settime(CLOCK_REALTIME, time 2001-09-09T01:46:40Z (1000000000 s -1 ns))"),
        ("i386_clock_settime64_bad", "clock_settime64", "clock_settime64(CLOCK_REALTIME, time 2001-09-09T01:46:40Z (1000000000 s -1 ns))"),
        ("i386_adjtimex_read", null, null),
        ("i386_adjtimex_tick_bad", "adjtimex", "adjtimex(modes 0x4000 (ADJ_TICK))"),
        ("i386_mount_missing", "mount", "mount(source \"sim-src\", target \"/nonexistent/sim\", type \"tmpfs\", flags 0x0 (none))"),
        ("i386_umount_missing", "umount", "umount(\"/nonexistent/sim\")"),
        ("i386_reboot_bad_magic", "reboot", "reboot(LINUX_REBOOT_CMD_CAD_OFF 0x0, invalid magic 0x12345678/0x0)"),
    ];

    [Fact]
    public void EveryAttemptedChangeIsOneEventWithItsArgumentsAndTheCallAnswersAsWithoutTheEnforcer() => Check(X86_64Cases);

    [Fact]
    public void TheI386EntryPointsAreReportedToo() => Check(I386Cases);

    private void Check((string Case, string? Syscall, string? Reason)[] cases)
    {
        string[] command = ["/opt/tests/sim_calls", .. cases.Select(c => c.Case)];
        var without = Container.RunRaw(command);
        var r = Container.Run(command, Policy);
        output.WriteLine(without.ToString());
        output.WriteLine(r.ToString());

        // Each call answered what it answers natively (the results are the kernel's, not ours).
        Assert.Equal(cases.Length, Lines(without.Stdout).Length);
        Assert.Equal(Lines(without.Stdout), Lines(r.Stdout));
        Assert.Equal(0, r.ExitCode);

        var events = r.Events("systemIntegrity", "detected").ToList();
        Assert.Equal(r.AuditEvents.Count, events.Count);
        Assert.Equal(cases.Count(c => c.Syscall is not null), events.Count);
        var remaining = new List<JsonElement>(events);
        foreach (var c in cases.Where(c => c.Syscall is not null))
        {
            var e = remaining.FirstOrDefault(e => e.GetProperty("syscall").GetString() == c.Syscall
                && e.GetProperty("reason").GetString()!.Contains(c.Reason!, StringComparison.Ordinal));
            Assert.True(e.ValueKind == JsonValueKind.Object, $"{c.Case}: no {c.Syscall} event with '{c.Reason}'\n{r}");
            remaining.Remove(e);
            Assert.Equal("audit", e.GetProperty("mode").GetString());
            Assert.Equal("/opt/tests/sim_calls", e.GetProperty("path").GetString());
            Assert.EndsWith("attempted (reported only: the kernel decides the result)", e.GetProperty("reason").GetString(), StringComparison.Ordinal);
        }
        Assert.Empty(remaining);
        Assert.DoesNotContain(events, e => e.GetProperty("reason").GetString()!.Contains("modes 0x0", StringComparison.Ordinal));
    }

    [Fact]
    public void TheMountTargetIsTheEventsRequestedPath()
    {
        var r = Container.Run(["/opt/tests/sim_calls", "mount_tmpfs", "umount_tmpfs", "swapon_missing"], Policy);

        var paths = r.Events("systemIntegrity", "detected").Select(e => e.GetProperty("requestedPath").GetString()).ToList();
        Assert.Equal(["/tmp/sim-mnt", "/tmp/sim-mnt", "/nonexistent/sim"], paths);
    }

    [Fact]
    public void OffByDefaultNothingIsReportedAndEveryCallAnswersTheSame()
    {
        string[] command = ["/opt/tests/sim_calls", .. X86_64Cases.Select(c => c.Case)];
        var r = Container.Run(command);
        var without = Container.RunRaw(command);

        Assert.Equal(X86_64Cases.Length, Lines(without.Stdout).Length);   // every case ran and answered
        Assert.Equal(Lines(without.Stdout), Lines(r.Stdout));
        Assert.Empty(r.AuditEvents);
    }

    [Fact]
    public void AFloodIsAggregatedWithEveryCallCounted()
    {
        const int Calls = 3000;
        var r = Container.Run(["/opt/tests/sim_calls", "flood", $"{Calls}"], Policy);
        output.WriteLine(r.ToString());

        Assert.Contains($"flood: done {Calls} einval {Calls}", r.Stdout);
        var events = r.Events("systemIntegrity", "detected").ToList();
        Assert.All(events, e => Assert.Equal("sethostname", e.GetProperty("syscall").GetString()));
        var aggregated = events.Where(e => e.TryGetProperty("count", out _)).ToList();
        int single = events.Count - aggregated.Count;
        Assert.NotEmpty(aggregated);
        // Every call is accounted for, one by one or in a count; at most 20 singly per second.
        Assert.Equal(Calls, single + aggregated.Sum(e => e.GetProperty("count").GetInt32()));
        Assert.True(single <= 20 * (aggregated.Count + 1), $"{single} single events");
        Assert.All(aggregated, e => Assert.Contains("more sethostname call(s) in the last second", e.GetProperty("reason").GetString(), StringComparison.Ordinal));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
