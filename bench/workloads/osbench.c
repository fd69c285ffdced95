// The OSBench workloads (the table Falco's pdig published), one static binary:
//
//   osbench launch N     fork + execve of a small static program + waitpid
//   osbench processes N  fork + _exit + waitpid
//   osbench threads N    pthread_create + pthread_join
//   osbench files N      create (open O_CREAT, write 32 bytes, close) N files in one directory
//   osbench memory N     malloc + touch + free of N blocks of assorted sizes (16 B to 64 KiB)
//
// Prints the mean nanoseconds per operation on stdout. Only the operations are timed: the
// files' directory is made before and removed after the clock stops, and under the enforcer the
// clock starts once it has hashed the image (pid1_hashing.h).
#define _GNU_SOURCE
#include "pid1_hashing.h"
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static void fail(const char *what)
{
    perror(what);
    exit(1);
}

static void launch(long n, const char *program)
{
    char *argv[] = { (char *)program, NULL };
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            fail("fork");
        if (pid == 0) {
            execve(program, argv, environ);
            _exit(127);
        }
        int status;
        if (waitpid(pid, &status, 0) < 0)
            fail("waitpid");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "osbench: %s did not exit 0 (status %#x)\n", program, status);
            exit(1);
        }
    }
}

static void processes(long n)
{
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            fail("fork");
        if (pid == 0)
            _exit(0);
        if (waitpid(pid, NULL, 0) < 0)
            fail("waitpid");
    }
}

static void *thread_body(void *arg)
{
    return arg;
}

static void threads(long n)
{
    for (long i = 0; i < n; i++) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, thread_body, NULL) != 0)
            fail("pthread_create");
        pthread_join(thread, NULL);
    }
}

static void files(long n, const char *dir)
{
    static const char content[32] = "osbench create-files payload...";
    char path[4096];
    for (long i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/f%ld", dir, i);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
            fail("open");
        if (write(fd, content, sizeof content) != sizeof content)
            fail("write");
        close(fd);
    }
}

static void memory(long n)
{
    // Sizes cycle through small and medium blocks: glibc's arenas, not mmap (that is the
    // published workload's shape: allocator work, few system calls).
    static const size_t sizes[] = { 16, 48, 128, 512, 2048, 8192, 32768, 65536 };
    volatile char sink = 0;
    for (long i = 0; i < n; i++) {
        size_t size = sizes[i % (sizeof sizes / sizeof sizes[0])];
        char *block = malloc(size);
        if (block == NULL)
            fail("malloc");
        block[0] = (char)i;
        block[size - 1] = (char)i;
        sink ^= block[size / 2];
        free(block);
    }
    (void)sink;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: osbench launch|processes|threads|files|memory N [PROGRAM|DIR]\n");
        return 2;
    }
    const char *workload = argv[1];
    long n = atol(argv[2]);
    const char *extra = argc > 3 ? argv[3] : NULL;
    char dir[] = "/tmp/osbench.XXXXXX";
    if (strcmp(workload, "files") == 0 && mkdtemp(dir) == NULL)
        fail("mkdtemp");

    pid1_wait_for_hashing();   // the steady state, not the enforcer's first seconds
    double start = now_ns();
    if (strcmp(workload, "launch") == 0)
        launch(n, extra ? extra : "/opt/bench/nop");
    else if (strcmp(workload, "processes") == 0)
        processes(n);
    else if (strcmp(workload, "threads") == 0)
        threads(n);
    else if (strcmp(workload, "files") == 0)
        files(n, dir);
    else if (strcmp(workload, "memory") == 0)
        memory(n);
    else {
        fprintf(stderr, "osbench: unknown workload %s\n", workload);
        return 2;
    }
    double elapsed = now_ns() - start;

    if (strcmp(workload, "files") == 0) {
        char path[4096];
        for (long i = 0; i < n; i++) {
            snprintf(path, sizeof path, "%s/f%ld", dir, i);
            unlink(path);
        }
        rmdir(dir);
    }
    printf("%.1f\n", elapsed / n);
    return 0;
}
