// A C fork loop: forks children that sleep until killed, as fast as it can, for SECONDS (or
// until LIMIT children exist), then reports how many forks succeeded and how many failed with
// EAGAIN, and kills its children.
// usage: fork_bomb SECONDS [LIMIT]   prints "forked=N eagain=M other=K"
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int seconds = argc > 1 ? atoi(argv[1]) : 2;
    long limit = argc > 2 ? atol(argv[2]) : 1000000;
    time_t end = time(NULL) + seconds;
    long forked = 0, eagain = 0, other = 0;
    setpgid(0, 0);
    signal(SIGTERM, SIG_IGN);
    while (time(NULL) < end && forked < limit) {
        pid_t pid = fork();
        if (pid == 0) {
            pause();
            _exit(0);
        }
        if (pid > 0)
            forked++;
        else if (errno == EAGAIN)
            eagain++;
        else
            other++;
    }
    printf("forked=%ld eagain=%ld other=%ld\n", forked, eagain, other);
    fflush(stdout);
    kill(0, SIGKILL);   // the whole group, ourselves last
    return 0;
}
