using System.Security.Cryptography;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// Dockerfile.micro's image: what other images copy from it, and that the launcher in it is the
/// binary under test and runs on its own (it is static: the image has nothing else).
/// </summary>
[Collection(PodmanCollection.Name)]
public sealed class EnforcerImageTests
{
    public EnforcerImageTests(PodmanImages images) => _ = images; // the fixture builds the images

    [Fact]
    public void ImageRunsTheLauncherAsItsOwnEntrypoint()
    {
        string expected = ProcessRunner.Run(Prerequisites.EnforcerBinary, ["version"], TimeSpan.FromSeconds(30)).Stdout.Trim();
        using var container = PodmanContainer.Start(PodmanImages.Enforcer);

        int status = container.WaitForExit(TimeSpan.FromSeconds(60));
        var logs = container.Logs();

        Assert.True(status == 0, $"exit {status}\n{logs}");
        Assert.Equal(expected, logs.Stdout.Trim());
        // The OCI labels say which build this is: "microenforcer 0.1.0+REVISION" as labels.
        string labels = Podman.Check(["image", "inspect", "--format",
            "{{index .Labels \"org.opencontainers.image.title\"}} {{index .Labels \"org.opencontainers.image.version\"}}+{{index .Labels \"org.opencontainers.image.revision\"}}",
            PodmanImages.Enforcer]).Trim();
        Assert.Equal(expected, labels.Replace("MicroEnforcer", "microenforcer", StringComparison.Ordinal));
    }

    [Fact]
    public void ShippedPolicyIsTheBuiltInDefaultAndValid()
    {
        using var container = PodmanContainer.Start(PodmanImages.Enforcer, command: ["policy", "validate", "/.microenforcer/policy.yaml"]);
        int status = container.WaitForExit(TimeSpan.FromSeconds(60));
        var logs = container.Logs();
        string dir = Directory.CreateTempSubdirectory("microenforcer-policy-").FullName;
        try
        {
            container.CopyOut("/.microenforcer/policy.yaml", Path.Combine(dir, "policy.yaml"));

            Assert.True(status == 0, $"policy validate exited {status}\n{logs}");
            Assert.Contains("valid policy 'default'", logs.Stdout + logs.Stderr);
            string builtIn = ProcessRunner.Run(Prerequisites.EnforcerBinary, ["policy", "default"], TimeSpan.FromSeconds(30)).Stdout;
            Assert.Equal(builtIn, File.ReadAllText(Path.Combine(dir, "policy.yaml")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void SampleImageCarriesTheBinaryUnderTest()
    {
        // The sample copies from localhost/microenforcer:latest through the layer cache: a stale
        // tag or cache entry would put another binary under test.
        using var container = PodmanContainer.Start(PodmanImages.NginxSample, ["--entrypoint", "/.microenforcer/microenforcer"], ["version"]);
        container.WaitForExit(TimeSpan.FromSeconds(60));
        string dir = Directory.CreateTempSubdirectory("microenforcer-sample-").FullName;
        try
        {
            container.CopyOut("/.microenforcer/microenforcer", Path.Combine(dir, "microenforcer"));

            Assert.Equal(Sha256(Prerequisites.EnforcerBinary), Sha256(Path.Combine(dir, "microenforcer")));
            Assert.Equal("[\"/.microenforcer/microenforcer\",\"run\",\"--\"] [\"nginx\",\"-g\",\"daemon off;\"]",
                Podman.Check(["image", "inspect", "--format", "{{json .Config.Entrypoint}} {{json .Config.Cmd}}", PodmanImages.NginxSample]).Trim());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
