using System.Text.RegularExpressions;
using Xunit;

namespace MicroEnforcer.Tests;

/// <summary>
/// The enforcer's namespaces read top-down: Cli over Supervision (PID 1's event loop) over
/// Ptrace and Sessions over Controls over Network, Seccomp, Policy, Audit, Procfs, Baseline and
/// Interop; Network (PID 1's own sockets) stands on Policy and Interop alone. A cycle means two
/// namespaces that cannot be understood one without the other. Read from the sources: `using
/// MicroEnforcer.X;` and references qualified by a sibling namespace (`Procfs.ProcFile`).
/// </summary>
public sealed partial class NamespaceLayeringTests
{
    private static readonly string Source = Path.Combine(RepositoryRoot(), "src", "MicroEnforcer");

    [Fact]
    public void NamespacesHaveNoCycles()
    {
        Dictionary<string, HashSet<string>> uses = Uses();
        Assert.True(uses.Count > 10, "the sources were not found");

        foreach (string start in uses.Keys)
        {
            // Depth-first from each namespace: a path back to it is a cycle.
            var stack = new Stack<List<string>>();
            stack.Push([start]);
            while (stack.Count > 0)
            {
                List<string> path = stack.Pop();
                foreach (string next in uses.GetValueOrDefault(path[^1], []))
                {
                    Assert.False(next == start, $"namespace cycle: {string.Join(" -> ", path)} -> {next}");
                    if (!path.Contains(next))
                        stack.Push([.. path, next]);
                }
            }
        }
    }

    [Fact]
    public void TheEventLoopIsOnTopOfWhatItDrives()
    {
        Dictionary<string, HashSet<string>> uses = Uses();

        Assert.Contains("Supervision", uses["Cli"]);
        foreach (string lower in new[] { "Controls", "Network", "Seccomp", "Ptrace", "Sessions", "Launcher", "Policy", "Audit", "Procfs", "Baseline", "Interop" })
            Assert.DoesNotContain("Supervision", uses.GetValueOrDefault(lower, []));
    }

    /// <summary>
    /// Network (the sets a network control matches against: ports, domains, addresses, list
    /// files) sits under Controls and reads only the policy's types and the interop layer; the
    /// policy does not know it, so a policy can be read without any of it.
    /// </summary>
    [Fact]
    public void NetworkIsUnderControls_AndUsesOnlyPolicyAndInterop()
    {
        Dictionary<string, HashSet<string>> uses = Uses();

        Assert.True(uses.ContainsKey("Network"), "no MicroEnforcer.Network sources were found");
        Assert.Subset(new HashSet<string> { "Policy", "Interop" }, uses["Network"]);
        foreach (string lower in new[] { "Policy", "Seccomp", "Audit", "Procfs", "Baseline", "Packages", "Interop" })
            Assert.DoesNotContain("Network", uses.GetValueOrDefault(lower, []));
    }

    /// <summary>
    /// Audit (the events, their schema and formats, and Audit.Delivery: the sinks, their queues and
    /// sender threads, and Audit.Transport: TLS) sits under Controls, which write events through it;
    /// it reads the policy's spec.audit and uses the interop and logging layers, and nothing that
    /// decides.
    /// </summary>
    [Fact]
    public void AuditAndItsDeliveryAreUnderControls_AndUseOnlyPolicyLoggingAndInterop()
    {
        Dictionary<string, HashSet<string>> uses = Uses();

        Assert.True(Directory.Exists(Path.Combine(Source, "Audit", "Delivery")), "no Audit/Delivery sources were found");
        Assert.Subset(new HashSet<string> { "Policy", "Logging", "Interop" }, uses["Audit"]);
        foreach (string lower in new[] { "Policy", "Seccomp", "Network", "Procfs", "Baseline", "Packages", "Interop", "Logging" })
            Assert.DoesNotContain("Audit", uses.GetValueOrDefault(lower, []));
    }

    /// <summary>
    /// Audit.Transport (the sinks' TLS) is part of Audit, under Controls, and stands on the audit
    /// types, the policy's and the interop layer alone; only Audit itself reaches into it.
    /// </summary>
    [Fact]
    public void AuditTransportIsUnderControls_AndUsesOnlyAuditPolicyAndInterop()
    {
        var transportUses = new HashSet<string>();
        var usersOfTransport = new HashSet<string>();
        foreach (string file in Directory.EnumerateFiles(Source, "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains("/obj/", StringComparison.Ordinal))
                continue;
            string text = File.ReadAllText(file);
            Match declared = DeclaredNamespace().Match(text);
            if (!declared.Success)
                continue;
            string code = Comments().Replace(text, "");
            bool isTransport = declared.Groups[1].Value == "Audit.Transport";
            foreach (Match used in UsingDirective().Matches(code))
            {
                if (isTransport && used.Groups[1].Value != "Audit.Transport")
                    transportUses.Add(used.Groups[1].Value);
                else if (!isTransport && used.Groups[1].Value == "Audit.Transport")
                    usersOfTransport.Add(TopLevel(declared.Groups[1].Value));
            }
        }

        Assert.True(Directory.Exists(Path.Combine(Source, "Audit", "Transport")), "no MicroEnforcer.Audit.Transport sources were found");
        Assert.Subset(new HashSet<string> { "Audit", "Policy", "Interop" }, transportUses);
        Assert.Subset(new HashSet<string> { "Audit", "Controls", "Supervision", "Cli" }, usersOfTransport);
    }

    private static Dictionary<string, HashSet<string>> Uses()
    {
        var uses = new Dictionary<string, HashSet<string>>();
        var types = new Dictionary<string, HashSet<string>>();
        foreach (string file in Directory.EnumerateFiles(Source, "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains("/obj/", StringComparison.Ordinal))
                continue;
            string text = File.ReadAllText(file);
            Match declared = DeclaredNamespace().Match(text);
            if (!declared.Success)
                continue;
            string own = TopLevel(declared.Groups[1].Value);
            HashSet<string> set = uses.TryGetValue(own, out HashSet<string>? found) ? found : uses[own] = [];
            string code = Comments().Replace(text, "");
            HashSet<string> declaredTypes = types.TryGetValue(own, out HashSet<string>? known) ? known : types[own] = [];
            foreach (Match type in TypeDeclaration().Matches(code))
                declaredTypes.Add(type.Groups[1].Value);
            foreach (Match used in UsingDirective().Matches(code))
                set.Add(TopLevel(used.Groups[1].Value));
            set.Remove(own);
        }

        // Qualified references (Procfs.ProcFile) once every namespace is known.
        foreach (string file in Directory.EnumerateFiles(Source, "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains("/obj/", StringComparison.Ordinal))
                continue;
            string text = File.ReadAllText(file);
            Match declared = DeclaredNamespace().Match(text);
            if (!declared.Success)
                continue;
            string own = TopLevel(declared.Groups[1].Value);
            string code = Comments().Replace(text, "");
            foreach (Match qualified in QualifiedReference().Matches(code))
            {
                // `Procfs.ProcFile` names a type of Procfs; `Controls.IndexOf` on a property is not one.
                string name = qualified.Groups[1].Value;
                if (name != own && types.TryGetValue(name, out HashSet<string>? inThat) && inThat.Contains(qualified.Groups[2].Value)
                    && !IsMemberAccess(code, qualified.Index))
                    uses[own].Add(name);
            }
        }
        return uses;
    }

    // `x.Procfs.ProcFile` is a member's member, not the namespace.
    private static bool IsMemberAccess(string code, int index) => index > 0 && (code[index - 1] == '.' || char.IsLetterOrDigit(code[index - 1]));

    private static string TopLevel(string name) => name.Length == 0 ? "(root)" : name.Split('.')[0];

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MicroEnforcer.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("MicroEnforcer.sln not found above the test's directory");
    }

    [GeneratedRegex(@"^namespace MicroEnforcer\.?([\w.]*)\s*;", RegexOptions.Multiline)]
    private static partial Regex DeclaredNamespace();

    [GeneratedRegex(@"^using MicroEnforcer\.([\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"\b([A-Z]\w+)\.([A-Z]\w*)")]
    private static partial Regex QualifiedReference();

    [GeneratedRegex(@"\b(?:class|struct|record|interface|enum)\s+(\w+)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"//[^\n]*|""(?:[^""\\\n]|\\.)*""")]
    private static partial Regex Comments();
}
