using MicroEnforcer.Controls;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

/// <summary>
/// The planner's grants, on a real directory tree: a grant never reaches a restricted path, every
/// unrestricted path keeps every handled right, and exceptions get back only their control's.
/// </summary>
public sealed class FileRulePlannerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("planner-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string P(string relative) => Path.Combine(_root, relative);

    private string Make(params string[] files)
    {
        foreach (string file in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(P(file))!);
            if (!file.EndsWith('/'))
                File.WriteAllText(P(file), file);
        }
        return _root;
    }

    // The rights a path gets under the plan, as Landlock computes them: the union of the grants
    // on the path and its ancestors.
    private static FileRights Effective(IReadOnlyList<(string Path, FileRights Rights)> rules, string path) =>
        rules.Where(rule => FileRulePlanner.Covers(rule.Path, path)).Aggregate(FileRights.None, (all, rule) => all | rule.Rights);

    [Fact]
    public void ABlockedFileGetsNothingAndItsSiblingsGetEverything()
    {
        Make("etc/shadow", "etc/passwd", "etc/ssl/cert", "usr/bin/sh");
        var planner = new FileRulePlanner([new FileRestriction(P("etc/shadow"), FileRights.ReadFile, "fileBlock", "x")], [], []);
        var rules = planner.Plan();

        Assert.Equal(FileRights.ReadFile | FileRights.Refer, planner.Handled);
        Assert.Equal(FileRights.None, Effective(rules, P("etc/shadow")) & FileRights.ReadFile);
        Assert.Equal(FileRights.ReadFile, Effective(rules, P("etc/passwd")) & FileRights.ReadFile);
        Assert.Equal(planner.Handled, Effective(rules, P("etc/ssl/cert")));
        Assert.Equal(planner.Handled, Effective(rules, P("usr/bin/sh")));
        Assert.DoesNotContain(rules, rule => FileRulePlanner.Covers(rule.Path, P("etc/shadow")) && (rule.Rights & FileRights.ReadFile) != 0);
        // New entries directly in the ancestors of the blocked file are the plan's cost.
        Assert.Contains(planner.LimitedNewEntries, limited => limited.Directory == P("etc"));
    }

    [Fact]
    public void AReadOnlyDirectoryWithAnExceptionAndABlockedFileInside()
    {
        Make("www/index.html", "www/cache/page", "www/secret.txt", "www/sub/a", "other/x");
        var planner = new FileRulePlanner(
            [new FileRestriction(P("www"), FileRights.Change, "readOnly", "x"), new FileRestriction(P("www/secret.txt"), FileRights.ReadFile, "fileBlock", "y")],
            [new FileException(P("www/cache"), FileRights.Change, "readOnly", "z")], []);
        var rules = planner.Plan();

        Assert.Equal(FileRights.None, Effective(rules, P("www/index.html")) & FileRights.Change);
        Assert.Equal(FileRights.ReadFile, Effective(rules, P("www/index.html")) & FileRights.ReadFile);
        Assert.Equal(FileRights.None, Effective(rules, P("www/sub/a")) & FileRights.Change);
        Assert.Equal(FileRights.None, Effective(rules, P("www/secret.txt")) & (FileRights.ReadFile | FileRights.WriteFile));
        Assert.Equal(planner.Handled, Effective(rules, P("www/cache/page")));
        Assert.Equal(planner.Handled, Effective(rules, P("other/x")));
        // A file created later in the read-only directory (if one could be) could not be read either.
        Assert.Equal(FileRights.None, Effective(rules, P("www/later")) & FileRights.ReadFile);
    }

    [Fact]
    public void AnExceptionGivesBackOnlyItsOwnControlsRights()
    {
        Make("data/cache/key", "data/file");
        var planner = new FileRulePlanner(
            [new FileRestriction(P("data"), FileRights.Change, "readOnly", "x"), new FileRestriction(P("data/cache/key"), FileRights.ReadFile, "fileBlock", "y")],
            [new FileException(P("data/cache"), FileRights.Change, "readOnly", "z")], []);
        var rules = planner.Plan();

        Assert.Equal(FileRights.None, Effective(rules, P("data/cache/key")) & FileRights.ReadFile);
        Assert.Equal(FileRights.WriteFile, Effective(rules, P("data/cache/key")) & FileRights.WriteFile);
    }

    [Fact]
    public void AMissingRestrictedPathIsCoveredIfThePlanIsGivenIt()
    {
        Make("home/user/file");
        var planner = new FileRulePlanner([new FileRestriction(P("home/user/.ssh"), FileRights.ReadFile, "fileBlock", "x")], [], []);
        var rules = planner.Plan();

        Assert.Equal(FileRights.None, Effective(rules, P("home/user/.ssh/id_rsa")) & FileRights.ReadFile);
        Assert.Equal(FileRights.ReadFile, Effective(rules, P("home/user/file")) & FileRights.ReadFile);
    }

    [Fact]
    public void NoRestrictionsNoRules()
    {
        Assert.Empty(new FileRulePlanner([], [], []).Plan());
    }
}
