using MicroEnforcer.Controls;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

public sealed class ReportBudgetTests
{
    private static ProcessSnapshot Snapshot(int tid) => new(tid, null, "/bin/x", null);

    [Fact]
    public void EachCallerHasItsOwnBudgetPerSyscall()
    {
        var budget = new ReportBudget(perCaller: 2, perWindow: 100);

        Assert.True(budget.TrySpend(10, "mount"));
        Assert.True(budget.TrySpend(10, "mount"));
        Assert.False(budget.TrySpend(10, "mount"));
        Assert.True(budget.TrySpend(10, "sethostname"));
        Assert.True(budget.TrySpend(11, "mount"));
    }

    [Fact]
    public void TheWindowHasABudgetForEveryone()
    {
        var budget = new ReportBudget(perCaller: 5, perWindow: 3);

        Assert.True(budget.TrySpend(1, "mount"));
        Assert.True(budget.TrySpend(2, "mount"));
        Assert.True(budget.TrySpend(3, "mount"));
        Assert.False(budget.TrySpend(4, "mount"));
    }

    [Fact]
    public void HeldBackCallsAreCountedPerSyscallWithTheFirstCaller()
    {
        var budget = new ReportBudget(perCaller: 1, perWindow: 10);
        int snapshots = 0;
        budget.TrySpend(7, "sethostname");
        for (int i = 0; i < 1000; i++)
            budget.HoldBack("sethostname", () => Snapshot(7 + snapshots++));
        budget.HoldBack("mount", () => Snapshot(9));

        var held = budget.EndWindow().OrderBy(h => h.Syscall, StringComparer.Ordinal).ToList();

        Assert.Equal(["mount", "sethostname"], held.Select(h => h.Syscall));
        Assert.Equal([1, 1000], held.Select(h => h.Count));
        Assert.Equal(7, held[1].First.Tid);
        Assert.Equal(1, snapshots);   // the snapshot is taken once, not per call
    }

    [Fact]
    public void EndingTheWindowRestoresTheBudget()
    {
        var budget = new ReportBudget(perCaller: 1, perWindow: 1);
        budget.TrySpend(1, "mount");
        budget.HoldBack("mount", () => Snapshot(1));

        Assert.Single(budget.EndWindow());
        Assert.Empty(budget.EndWindow());
        Assert.True(budget.TrySpend(1, "mount"));
    }
}
