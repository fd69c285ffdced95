using MicroEnforcer.IntegrationTests.Harness;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// An image with musl and nothing else: musl's dynamic loader (which is its libc too), one
/// program linked against it (TestPrograms/musl_app.c, built with musl-gcc), and
/// /.microenforcer copied from the enforcer image. No shell, no glibc.
/// </summary>
internal static class MuslImage
{
    public const string Loader = "/lib/ld-musl-x86_64.so.1";
    public const string App = "/usr/bin/musl-app";

    public static void Build(string tag, string enforcerImage)
    {
        string context = Directory.CreateTempSubdirectory("microenforcer-musl-").FullName;
        try
        {
            string app = Path.Combine(context, "musl-app");
            ProcessRunner.Check("musl-gcc", "-O2", "-Wall", "-o", app, Path.Combine(AppContext.BaseDirectory, "TestPrograms", "musl_app.c"));
            // The point of the image: the program must really be loaded by musl's ld.so.
            string kind = ProcessRunner.Run("file", ["-b", app], TimeSpan.FromSeconds(30)).Stdout;
            if (!kind.Contains("dynamically linked", StringComparison.Ordinal) || !kind.Contains($"interpreter {Loader}", StringComparison.Ordinal))
                throw new InvalidOperationException($"musl-gcc did not build a program dynamically linked against musl: {kind}");
            // Debian's loader path is a symlink into /usr/lib/x86_64-linux-musl; the image gets the file.
            File.Copy(new FileInfo(Loader).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Loader, Path.Combine(context, "ld-musl"));

            File.WriteAllText(Path.Combine(context, "Containerfile"), $"""
                FROM scratch
                COPY ld-musl {Loader}
                COPY musl-app {App}
                COPY --from={enforcerImage} /.microenforcer /.microenforcer
                ENTRYPOINT ["/.microenforcer/microenforcer", "run", "--"]
                CMD ["{App}"]
                """);
            Podman.Build(context, tag);
        }
        finally
        {
            Directory.Delete(context, recursive: true);
        }
    }
}
