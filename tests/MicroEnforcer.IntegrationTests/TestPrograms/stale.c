// Regression test from the security review of the launcher (see docs/architecture.md).
// Stale _pending entry + "EPERM means ours" shortcut => drifted ELF runs.
// usage: stale PAYLOAD [nostale]
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static int go[2], ready[2];
static char *payload;
extern char **environ;

static void *thread_exec(void *arg)
{
    char c;
    read(go[0], &c, 1);           // wait until the leader's failed exec is done
    char a1[16], a2[16], a3[16];
    snprintf(a1, sizeof a1, "%d", go[0]); snprintf(a2, sizeof a2, "%d", ready[1]);
    char *argv[] = { "stale", "stage2", a1, a2, payload, NULL };
    execve("/opt/tests/stale", argv, environ);
    fprintf(stderr, "thread execve: %s\n", strerror(errno));
    _exit(3);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "stage2") == 0) {
        int g = atoi(argv[2]), r = atoi(argv[3]);
        payload = argv[4];
        char c = 'R';
        write(r, &c, 1);           // tell the parent: seize me now
        read(g, &c, 1);            // parent seized us
        int fd = open(payload, O_RDONLY);
        dup2(fd, 10);
        char *av[] = { "evil", NULL };
        execve("/dev/fd/10", av, environ);
        fprintf(stderr, "stage2: execve /dev/fd/10 (payload %s): %s\n", payload, strerror(errno));
        _exit(4);
    }
    payload = argv[1];
    int nostale = argc > 2;
    pipe(go); pipe(ready);
    pid_t c = fork();
    if (c == 0) {
        if (!nostale) {
            pthread_t t;
            pthread_create(&t, NULL, thread_exec, NULL);
            // Leader: an exec that passes the entry check and fails after CONTINUE (bad argv).
            int rc = syscall(59, "/bin/busybox", (char **)1, NULL);
            fprintf(stderr, "leader: failed exec rc=%d errno=%s (now seized by PID 1)\n", rc, strerror(errno));
            char x = 'G';
            write(go[1], &x, 1);   // thread execs: non-leader exec, the leader is seized
            pause();
        } else {
            char a1[16], a2[16];
            snprintf(a1, sizeof a1, "%d", go[0]); snprintf(a2, sizeof a2, "%d", ready[1]);
            char *av[] = { "stale", "stage2", a1, a2, payload, NULL };
            execve("/opt/tests/stale", av, environ);
            _exit(5);
        }
    }
    char x;
    read(ready[0], &x, 1);
    if (ptrace(PTRACE_SEIZE, c, 0, 0) != 0) { perror("parent: PTRACE_SEIZE"); }
    else fprintf(stderr, "parent: seized child %d\n", c);
    write(go[1], "G", 1);
    int st;
    for (;;) {
        pid_t w = waitpid(c, &st, __WALL);
        if (w < 0) { perror("waitpid"); break; }
        if (WIFSTOPPED(st)) { ptrace(PTRACE_CONT, c, 0, (st >> 16) ? 0 : WSTOPSIG(st)); continue; }
        if (WIFEXITED(st)) fprintf(stderr, "parent: child exited %d\n", WEXITSTATUS(st));
        else fprintf(stderr, "parent: child killed by signal %d\n", WTERMSIG(st));
        break;
    }
    return 0;
}
