// fork + execve + waitpid, N times; prints the mean nanoseconds per iteration. The exit status
// of each child is not judged: an exec refused with EACCES is timed just like one that ran.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: exec_loop PATH N\n");
        return 2;
    }
    int n = atoi(argv[2]);
    char *args[] = { argv[1], NULL };
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            execve(argv[1], args, environ);
            _exit(126);
        }
        int status;
        waitpid(pid, &status, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double ns = (end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec);
    printf("%.0f\n", ns / n);
    return 0;
}
