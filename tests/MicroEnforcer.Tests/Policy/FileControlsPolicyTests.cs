using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

/// <summary>The fileBlock and readOnly sections: entries, fallback, and bad input refused with its line and reason.</summary>
public sealed class FileControlsPolicyTests
{
    private const string Header = "apiVersion: microenforcer.dev/v1\nkind: RuntimePolicy\n";

    private static PolicyLoadResult Parse(string spec) => ControlRegistry.ParsePolicy(Header + spec, "t.yaml");

    [Fact]
    public void BothAreOffByDefault()
    {
        var policy = ControlRegistry.DefaultPolicy();

        Assert.False(policy.FileBlock.Enabled);
        Assert.False(policy.ReadOnly.Enabled);
        Assert.Contains("file block off", ControlRegistry.Describe(policy), StringComparison.Ordinal);
        Assert.Contains("read-only paths off", ControlRegistry.Describe(policy), StringComparison.Ordinal);
    }

    [Fact]
    public void EntriesAreGlobsOrMappingsWithTheKindsBlocked()
    {
        var policy = Parse("""
            spec:
              fileBlock:
                enabled: true
                fallback: audit
                files:
                  - /etc/shadow
                  - {path: /root/.ssh/**, block: [read, write]}
                  - path: /usr/bin/nc*
                    block: [exec]
            """).Policy!;

        Assert.True(policy.FileBlock.Enabled);
        Assert.Equal(FallbackMode.Audit, policy.FileBlock.Fallback);
        Assert.Equal(["/etc/shadow", "/root/.ssh/** (read, write)", "/usr/bin/nc* (exec)"], policy.FileBlock.Files.Select(f => f.ToString()));
        Assert.Equal(FileAccessKind.All, policy.FileBlock.Files[0].Access);
    }

    [Fact]
    public void ReadOnlyHasPathsAndExceptions()
    {
        var policy = Parse("spec:\n  readOnly: {enabled: true, paths: [/etc, /var/www], exceptions: [/var/www/cache/**]}\n").Policy!;

        Assert.Equal(["/etc", "/var/www"], policy.ReadOnly.Paths.Select(p => p.Pattern));
        Assert.Equal(["/var/www/cache/**"], policy.ReadOnly.Exceptions.Select(p => p.Pattern));
        Assert.Equal(FallbackMode.Refuse, policy.ReadOnly.Fallback);
        Assert.Contains("read-only paths enforce (keeps /etc, /var/www read-only (except /var/www/cache/**))", ControlRegistry.Describe(policy), StringComparison.Ordinal);
    }

    [Fact]
    public void EnabledWithNoEntriesIsOff()
    {
        var policy = Parse("spec:\n  fileBlock: {enabled: true}\n  readOnly: {enabled: true}\n").Policy!;

        Assert.False(policy.FileBlock.Enabled);
        Assert.False(policy.ReadOnly.Enabled);
    }

    [Theory]
    [InlineData("fileBlock: {enabled: true, files: [etc/shadow]}", "t.yaml:4:38: spec.fileBlock.files[0]: 'etc/shadow' is a relative path: file paths must be absolute (start with '/')")]
    [InlineData("fileBlock: {enabled: true, files: [\"\"]}", "t.yaml:4:38: spec.fileBlock.files[0]: the path is empty")]
    [InlineData("fileBlock: {enabled: true, files: [/etc/../shadow]}", "t.yaml:4:38: spec.fileBlock.files[0]: '/etc/../shadow' has a '..' segment: write the path as the kernel resolves it from the root")]
    [InlineData("fileBlock: {enabled: true, files: [/etc/]}", "t.yaml:4:38: spec.fileBlock.files[0]: '/etc/' ends with '/': name the directory ('/etc') or its contents ('/etc/**')")]
    [InlineData("fileBlock: {enabled: true, files: [\"/etc/[a\"]}", "t.yaml:4:38: spec.fileBlock.files[0]: invalid glob '/etc/[a': ")]
    [InlineData("fileBlock: {enabled: true, files: [{path: /etc/shadow, block: [delete]}]}", "t.yaml:4:66: spec.fileBlock.files[0].block[0]: unknown access 'delete'; allowed values: read, write, exec")]
    [InlineData("fileBlock: {enabled: true, files: [{path: /etc/shadow, block: []}]}", "t.yaml:4:65: spec.fileBlock.files[0].block: block must name at least one of read, write, exec")]
    [InlineData("fileBlock: {enabled: true, files: [{block: [read]}]}", "t.yaml:4:38: spec.fileBlock.files[0].path: missing required field 'path'")]
    [InlineData("fileBlock: {enabled: true, files: [{path: /x, blok: [read]}]}", "t.yaml:4:49: spec.fileBlock.files[0].blok: unknown field 'blok'; did you mean 'block'?")]
    [InlineData("fileBlock: {enabled: true, fallback: ignore, files: [/x]}", "t.yaml:4:40: spec.fileBlock.fallback: invalid fallback 'ignore'; allowed values: refuse (do not start), audit (run the control in audit mode)")]
    [InlineData("readOnly: {enabled: true, paths: [relative]}", "t.yaml:4:37: spec.readOnly.paths[0]: 'relative' is a relative path")]
    [InlineData("readOnly: {enabled: true, paths: [/etc], exceptions: [./x]}", "t.yaml:4:57: spec.readOnly.exceptions[0]: './x' is a relative path")]
    public void BadInputIsRefusedWithItsLineAndReason(string section, string error)
    {
        var result = Parse("spec:\n  " + section + "\n");

        Assert.Null(result.Policy);
        string actual = Assert.Single(result.Errors).ToString();
        // file:line:column, then the field and the reason.
        Assert.StartsWith(error[..error.IndexOf(": ", StringComparison.Ordinal)], actual, StringComparison.Ordinal);
        Assert.Contains(error[(error.IndexOf(": ", StringComparison.Ordinal) + 2)..], actual, StringComparison.Ordinal);
    }
}
