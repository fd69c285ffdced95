using MicroEnforcer.IntegrationTests.Harness;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// An image with no libc at all, the smallest a user might wrap: busybox-static, its applet
/// links and an empty /tmp, FROM scratch, plus /.microenforcer copied from the enforcer image.
/// </summary>
internal static class NoLibcImage
{
    public static void Build(string tag, string enforcerImage)
    {
        string context = Directory.CreateTempSubdirectory("microenforcer-nolibc-").FullName;
        try
        {
            string rootfs = Path.Combine(context, "rootfs");
            Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
            File.Copy("/bin/busybox", Path.Combine(rootfs, "bin/busybox"));
            string applets = ProcessRunner.Run("/bin/busybox", ["--list-full"], TimeSpan.FromSeconds(30)).Stdout;
            foreach (string applet in applets.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                string link = Path.Combine(rootfs, applet);
                Directory.CreateDirectory(Path.GetDirectoryName(link)!);
                if (!File.Exists(link) && applet != "bin/busybox")
                    File.CreateSymbolicLink(link, "/bin/busybox");
            }
            Directory.CreateDirectory(Path.Combine(rootfs, "tmp"));
            File.SetUnixFileMode(Path.Combine(rootfs, "tmp"), (UnixFileMode)Convert.ToInt32("1777", 8));

            File.WriteAllText(Path.Combine(context, "Containerfile"), $"""
                FROM scratch
                COPY rootfs/ /
                COPY --from={enforcerImage} /.microenforcer /.microenforcer
                ENTRYPOINT ["/.microenforcer/microenforcer", "run", "--"]
                CMD ["/bin/sh"]
                """);
            Podman.Build(context, tag);
        }
        finally
        {
            Directory.Delete(context, recursive: true);
        }
    }
}
