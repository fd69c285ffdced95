// Regression test from the security review of the launcher (see docs/architecture.md).
// A thread seized by PID 1 (failed exec) + concurrent execs from other threads of the same process.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
extern char **environ;
static pthread_barrier_t bar;
static void *u_thread(void *a) {
    long rc = syscall(59, "/bin/busybox", (char **)1, NULL);   // EFAULT after CONTINUE: stays seized
    fprintf(stderr, "U: failed exec rc=%ld (%s), now traced by PID 1\n", rc, strerror(errno));
    pthread_barrier_wait(&bar);
    pause();
    return NULL;
}
static void *x_thread(void *a) {
    pthread_barrier_wait(&bar);
    char *av[] = { "true", NULL };
    execve("/bin/true", av, environ);
    return NULL;
}
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 4;
    pid_t c = fork();
    if (c == 0) {
        pthread_barrier_init(&bar, NULL, n + 1);
        pthread_t t;
        pthread_create(&t, NULL, u_thread, NULL);
        for (int i = 0; i < n; i++) pthread_create(&t, NULL, x_thread, NULL);
        pause();
    }
    int st;
    alarm(5);
    if (waitpid(c, &st, 0) == c) { fprintf(stderr, "deadlock test: child finished, status 0x%x (no hang)\n", st); return 0; }
    fprintf(stderr, "deadlock test: child %d still not finished after 5 s: %s\n", c, strerror(errno));
    return 1;
}
