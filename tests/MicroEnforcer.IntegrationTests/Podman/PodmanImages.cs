using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// The images the container tests run, built once per test run, the way a user builds them:
/// the Debian nginx base (samples/dockerfile-wrap/make-base-image.sh, cached across runs), the
/// enforcer image (Dockerfile.micro, from artifacts/microenforcer), the sample that wraps nginx
/// with it, and two images without glibc that copy the enforcer the same way.
/// </summary>
public sealed class PodmanImages
{
    public const string DebianNginx = "localhost/debian-nginx:bookworm";
    public const string Enforcer = "localhost/microenforcer:latest";
    public const string NginxSample = "localhost/nginx-microenforcer:latest";
    public const string NoLibc = "localhost/microenforcer-test-nolibc:latest";
    public const string Musl = "localhost/microenforcer-test-musl:latest";

    public PodmanImages()
    {
        PodmanPrerequisites.Require();
        string root = Prerequisites.RepositoryRoot;

        // About a minute of debootstrap the first time; afterwards the image or its tarball is reused.
        var baseImage = ProcessRunner.Run(Path.Combine(root, "samples/dockerfile-wrap/make-base-image.sh"), [DebianNginx], TimeSpan.FromMinutes(15));
        if (baseImage.ExitCode != 0)
            throw new InvalidOperationException($"make-base-image.sh failed with status {baseImage.ExitCode}\n{baseImage.Stderr}{baseImage.Stdout}");

        // What `make image` does, from the repository root (so .dockerignore is exercised too).
        string version = ProcessRunner.Run(Prerequisites.EnforcerBinary, ["version"], TimeSpan.FromSeconds(30)).Stdout.Trim().Split(' ')[^1];
        Podman.Build(root, Enforcer, Path.Combine(root, "Dockerfile.micro"),
            $"VERSION={version.Split('+')[0]}", $"REVISION={(version.Contains('+', StringComparison.Ordinal) ? version.Split('+')[1] : "unknown")}");

        Podman.Build(Path.Combine(root, "samples/dockerfile-wrap"), NginxSample);
        NoLibcImage.Build(NoLibc, Enforcer);
        MuslImage.Build(Musl, Enforcer);
    }
}

/// <summary>Every container test shares one build of the images and runs one test at a time.</summary>
[CollectionDefinition(Name)]
public sealed class PodmanCollection : ICollectionFixture<PodmanImages>
{
    public const string Name = "Podman";
}
