// Runs a program to its end and prints its wall time and peak resident memory (wait4's
// ru_maxrss): `peak_rss OUTPUT PROGRAM [ARGS...]`, the program's stdout and stderr to OUTPUT.
// Why a C program: .NET and posix_spawn start a child with vfork, whose memory is the parent's
// until exec, and at exec the kernel keeps that memory's high-water mark in the child's
// ru_maxrss: a child of the benchmark harness would report the harness's 50 MB. A fork of this
// small static process starts from its few hundred KB.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: peak_rss OUTPUT PROGRAM [ARGS...]\n");
        return 2;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = fork();
    if (pid < 0) {
        perror("peak_rss: fork");
        return 2;
    }
    if (pid == 0) {
        int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
            perror("peak_rss: output");
            _exit(126);
        }
        execv(argv[2], argv + 2);
        perror("peak_rss: execv");
        _exit(127);
    }
    int status;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0) {
        perror("peak_rss: wait4");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    long long ns = (long long)(end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
    int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    printf("status %d\nelapsed_ns %lld\nmax_rss_kb %ld\n", exit_code, ns, usage.ru_maxrss);
    return 0;
}
