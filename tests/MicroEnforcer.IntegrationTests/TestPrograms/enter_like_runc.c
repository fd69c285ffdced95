// Enters a running container the way runc exec does, run from the host: setns into the pid,
// mount and network namespaces of PID, change root to its root, and fork. The child is in the
// container's pid namespace with its parent outside (PPid 0), runs a binary the container's
// filesystem does not have, and has not exec'd (PF_FORKNOEXEC): runc init setting up. Where runc
// init takes 20-30 ms, this child waits until it is traced (at most 5 s), so the seize before the
// exec does not depend on timing, and then 200 ms more, as runc init goes on setting up after the
// seize (PID 1 looks at what it seized right after seizing it); then it execs the command. The
// parent exits with the child's status (128+N when signal N killed it), as `podman exec` does.
//
// usage: enter_like_runc PID CMD [ARGS...]
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void enter(const char *pid, const char *ns, int type)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/ns/%s", pid, ns);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, type) != 0) {
        perror(path);
        exit(125);
    }
    close(fd);
}

static int traced(void)
{
    char status[4096];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, status, sizeof status - 1);
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return 0;
    status[n] = 0;
    const char *line = strstr(status, "TracerPid:");
    return line != NULL && atoi(line + strlen("TracerPid:")) != 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: enter_like_runc PID CMD [ARGS...]\n");
        return 125;
    }
    char root[64];
    snprintf(root, sizeof root, "/proc/%s/root", argv[1]);
    int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        perror(root);
        return 125;
    }
    enter(argv[1], "pid", CLONE_NEWPID);
    enter(argv[1], "net", CLONE_NEWNET);
    enter(argv[1], "mnt", CLONE_NEWNS);
    if (fchdir(rootfd) != 0 || chroot(".") != 0 || chdir("/") != 0) {
        perror("chroot");
        return 125;
    }
    pid_t child = fork();
    if (child < 0) {
        perror("fork");
        return 125;
    }
    if (child == 0) {
        struct timespec tick = { 0, 1000000 };
        for (int i = 0; i < 5000 && !traced(); i++)
            nanosleep(&tick, NULL);
        struct timespec setup = { 0, 200000000 };
        nanosleep(&setup, NULL);
        execv(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    int status;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR)
            return 125;   // a hang here would hide the failure
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
