using MicroEnforcer.Baseline;
using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

/// <summary>Executables Allowed and Executables Blocked deciding exec targets (the kernel-facing parts are integration tests).</summary>
public class ExecutablesControlsTests
{
    private static readonly FileSignature File = new(8, 1, 42, 1000, 1, 0, 1, 0, 0x81ed, 1);

    private static ExecTarget Target(string path, string? invoked = null, string? applet = null, ExecRole role = ExecRole.Program) =>
        new(7, path, File, path, invoked ?? ExecTarget.LastComponent(path)) { Applet = applet, Role = role };

    private static PolicyList<ExecutableEntry> List(params string[] texts) =>
        [.. texts.Select(text => ExecutableEntry.TryParse(text, out ExecutableEntry? entry, out string error) ? entry : throw new ArgumentException(error))];

    private static ExecutablesAllowed Allowed(params string[] texts) =>
        new(new ExecutablesAllowedPolicy(true, EnforcementMode.Enforce, List(texts)), launcher: null);

    private static ExecutablesBlocked Blocked(params string[] texts) =>
        new(new ExecutablesBlockedPolicy(true, EnforcementMode.Enforce, List(texts)));

    [Fact]
    public void Allowed_ListedPathsNamesAndAppletsRun_OthersAreRefused()
    {
        ExecutablesAllowed control = Allowed("/opt/app/*", "nginx", "sh");

        Assert.Null(control.Evaluate(Target("/opt/app/server")));
        Assert.Null(control.Evaluate(Target("/usr/sbin/nginx")));
        Assert.Null(control.Evaluate(Target("/bin/busybox", "sh", applet: "sh")));
        var refused = control.Evaluate(Target("/bin/busybox", "wget", applet: "wget"));
        Assert.Equal("the busybox applet 'wget' is not in the allowed executables (spec.executablesAllowed.executables)", refused?.Reason);
        Assert.Equal("executablesAllowed", refused?.Control);
        Assert.Equal("it is not in the allowed executables (spec.executablesAllowed.executables)", control.Evaluate(Target("/opt/other/server"))?.Reason);
    }

    [Fact]
    public void Allowed_NeverTrustsTheInvokedName_WhichTheCallerChooses()
    {
        // ln -s /usr/bin/evil /tmp/nginx; /tmp/nginx: the file that runs is evil.
        Assert.NotNull(Allowed("nginx").Evaluate(Target("/usr/bin/evil", invoked: "nginx")));
    }

    [Fact]
    public void Allowed_AnEmptyListAllowsEverything()
    {
        Assert.Null(Allowed().Evaluate(Target("/anything")));
        Assert.Null(Allowed().Evaluate(Target("/anything") with { LoaderProgram = "/usr/bin/curl" }));
    }

    [Fact]
    public void Allowed_TheElfInterpreterOfADynamicProgramNeedNotBeListed_ButARunOfItAsAProgramDoes()
    {
        ExecutablesAllowed control = Allowed("/usr/bin/app");
        const string LdSo = "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";

        Assert.Null(control.Evaluate(Target(LdSo, role: ExecRole.ElfInterpreter)));
        Assert.NotNull(control.Evaluate(Target(LdSo)));
        // Even a listed loader may not run a program argument: it opens it after every check.
        var direct = Allowed("ld-linux*").Evaluate(Target(LdSo) with { LoaderProgram = "/usr/bin/curl" });
        Assert.Contains("run directly with a program argument (/usr/bin/curl)", direct?.Reason, StringComparison.Ordinal);
        Assert.Null(Allowed("ld-linux*").Evaluate(Target(LdSo)));
    }

    [Fact]
    public void Allowed_ScriptsAreJudgedByTheirOwnPath()
    {
        ExecutablesAllowed control = Allowed("/app/run.sh", "sh");

        Assert.Null(control.Evaluate(Target("/app/run.sh", role: ExecRole.Script)));
        Assert.NotNull(control.Evaluate(Target("/tmp/other.sh", role: ExecRole.Script)));
    }

    [Fact]
    public void Allowed_TheEnforcersOwnBinaryIsAllowed_OnlyAsItWasAtStart()
    {
        var control = new ExecutablesAllowed(new ExecutablesAllowedPolicy(true, EnforcementMode.Enforce, List("sh")), launcher: File);

        Assert.Null(control.Evaluate(Target("/.microenforcer/microenforcer")));
        Assert.NotNull(control.Evaluate(Target("/.microenforcer/microenforcer") with { Signature = File with { CtimeSec = 2 } }));
    }

    [Fact]
    public void Blocked_MatchesPathsNamesAppletsAndTheInvokedName()
    {
        ExecutablesBlocked control = Blocked("/usr/bin/ssh*", "nc", "wget", "curl");

        Assert.Equal("it matches '/usr/bin/ssh*' in the blocked executables (spec.executablesBlocked.executables)",
            control.Evaluate(Target("/usr/bin/ssh"))?.Reason);
        Assert.NotNull(control.Evaluate(Target("/usr/bin/curl")));
        Assert.Equal("the busybox applet 'wget' matches 'wget' in the blocked executables (spec.executablesBlocked.executables)",
            control.Evaluate(Target("/bin/busybox", "busybox", applet: "wget"))?.Reason);
        // Debian's nc is a link to /bin/nc.openbsd: run as nc, it is blocked by that name.
        Assert.NotNull(control.Evaluate(Target("/bin/nc.openbsd", invoked: "nc")));
        Assert.Null(control.Evaluate(Target("/bin/busybox", "sh", applet: "sh")));
        Assert.Null(control.Evaluate(Target("/usr/bin/scp")));
    }

    [Fact]
    public void Blocked_LeavesTheElfInterpreterAlone_AndRefusesItsDirectRunsWithAProgram()
    {
        ExecutablesBlocked control = Blocked("curl");
        const string LdSo = "/lib64/ld-linux-x86-64.so.2";

        Assert.Null(control.Evaluate(Target(LdSo, role: ExecRole.ElfInterpreter)));
        Assert.Null(control.Evaluate(Target(LdSo)));
        Assert.NotNull(control.Evaluate(Target(LdSo) with { LoaderProgram = "/tmp/x" }));
        Assert.Null(Blocked().Evaluate(Target(LdSo) with { LoaderProgram = "/tmp/x" }));
    }

    [Fact]
    public void DisabledControlsDecideNothing()
    {
        var allowed = new ExecutablesAllowed(new ExecutablesAllowedPolicy(false, EnforcementMode.Enforce, List("sh")), null);
        var blocked = new ExecutablesBlocked(new ExecutablesBlockedPolicy(false, EnforcementMode.Enforce, List("curl")));

        Assert.Null(allowed.Evaluate(Target("/usr/bin/curl")));
        Assert.Null(blocked.Evaluate(Target("/usr/bin/curl")));
    }
}
