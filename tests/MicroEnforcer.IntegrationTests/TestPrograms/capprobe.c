// What a process can do with CAP_NET_RAW, and what the kernel says it holds.
//   capprobe                    reports: ids, a raw socket, raising NET_RAW again (capset, ambient), its status lines
//   capprobe child              the same, then again from a forked child
//   capprobe as UID PROG ARGS   drops to UID (uid and gid) and execs PROG: a non-root user running a setuid binary
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *result(int rc)
{
    static char text[32];
    if (rc >= 0)
        return "ok";
    if (errno == EPERM)
        return "EPERM";
    snprintf(text, sizeof text, "errno%d", errno);
    return text;
}

static void report(const char *prefix)
{
    printf("%sids uid=%d euid=%d\n", prefix, (int)getuid(), (int)geteuid());

    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    printf("%sraw=%s\n", prefix, result(fd));
    if (fd >= 0)
        close(fd);

    // Back into effective and permitted: only possible while it is still permitted.
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0) {
        // Not a refusal of the raise: say so, rather than capset uninitialised sets.
        printf("%sraise=capget-%s\n", prefix, result(-1));
    } else {
        data[0].effective |= 1u << CAP_NET_RAW;
        data[0].permitted |= 1u << CAP_NET_RAW;
        data[0].inheritable |= 1u << CAP_NET_RAW;
        printf("%sraise=%s\n", prefix, result((int)syscall(SYS_capset, &header, data)));
    }
    printf("%sambient=%s\n", prefix, result(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0)));

    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    while (status != NULL && fgets(line, sizeof line, status) != NULL) {
        if (strncmp(line, "Cap", 3) == 0 || strncmp(line, "NoNewPrivs", 10) == 0)
            printf("%s%s", prefix, line);
    }
    if (status != NULL)
        fclose(status);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "as") == 0) {
        int uid = atoi(argv[2]);
        if (setgroups(0, NULL) != 0 || setgid(uid) != 0 || setuid(uid) != 0) {
            perror("capprobe: dropping to the user");
            return 2;
        }
        execv(argv[3], argv + 3);
        perror("capprobe: exec");
        return 127;
    }
    report("");
    if (argc >= 2 && strcmp(argv[1], "child") == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            report("child ");
            _exit(0);
        }
        waitpid(pid, NULL, 0);
    }
    return 0;
}
