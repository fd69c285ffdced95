namespace MicroEnforcer.IntegrationTests.Harness;

/// <summary>The reasons drift events give, where a test's timing decides between them.</summary>
internal static class DriftReasons
{
    /// <summary>
    /// A file the workload makes (or modifies) in its first moments: the baseline is recorded
    /// behind the workload, and its walk may find the file already made, and record it as such,
    /// or pass its directory first, and never see it.
    /// </summary>
    public static readonly string[] MadeAtStart =
        ["not in the image baseline", "created or modified after the workload started, before the image baseline recorded it"];
}
