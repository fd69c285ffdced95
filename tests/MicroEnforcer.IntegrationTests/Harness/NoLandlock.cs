namespace MicroEnforcer.IntegrationTests.Harness;

/// <summary>
/// A kernel without Landlock, as a container sees it under a seccomp profile that refuses the
/// Landlock calls with ENOSYS (Docker's profiles before 20.10 did; so does a kernel built
/// without it): a host program that installs such a filter and execs its arguments, used as
/// PID 1's wrapper. Built once, with the machine's gcc.
/// </summary>
internal static class NoLandlock
{
    private const string Source = """
        #include <errno.h>
        #include <linux/filter.h>
        #include <linux/seccomp.h>
        #include <stddef.h>
        #include <stdio.h>
        #include <sys/prctl.h>
        #include <sys/syscall.h>
        #include <unistd.h>
        int main(int argc, char **argv)
        {
            struct sock_filter filter[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 444, 0, 2),
                BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 446, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            };
            struct sock_fprog prog = { sizeof filter / sizeof filter[0], filter };
            if (argc < 2 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
                perror("no_landlock");
                return 125;
            }
            execvp(argv[1], argv + 1);
            perror("no_landlock: exec");
            return 127;
        }
        """;

    private static readonly Lazy<string> s_wrapper = new(() =>
    {
        string dir = Directory.CreateTempSubdirectory("microenforcer-nolandlock-").FullName;
        File.WriteAllText(Path.Combine(dir, "no_landlock.c"), Source);
        ProcessRunner.Check("gcc", "-O2", "-o", Path.Combine(dir, "no_landlock"), Path.Combine(dir, "no_landlock.c"));
        return Path.Combine(dir, "no_landlock");
    });

    /// <summary>The wrapper's path on the host.</summary>
    public static string Wrapper() => s_wrapper.Value;
}
