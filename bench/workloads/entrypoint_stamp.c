// Start-up probe, second half: the entrypoint. Its first act is to read the clock, so
// "startup_ns" is the time from clock_exec to the entrypoint's first instructions (a static
// binary: nothing runs before main but the C runtime's own setup).
//
// With "memory" it then waits until PID 1's thread named baseline-hasher has come and gone (the
// enforcer hashes the image's executables in the background after start; up to 120 s), and prints PID 1's
// resident memory then (rss_kb) and its peak (hwm_kb), and how long the hashing took from here.
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int pid1_is_hashing(void)
{
    DIR *tasks = opendir("/proc/1/task");
    if (tasks == NULL)
        return 0;
    int hashing = 0;
    struct dirent *entry;
    while (!hashing && (entry = readdir(tasks)) != NULL) {
        char path[300], comm[64] = "";
        snprintf(path, sizeof path, "/proc/1/task/%s/comm", entry->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        if (fgets(comm, sizeof comm, f) != NULL && strncmp(comm, "baseline-hasher", 15) == 0)
            hashing = 1;
        fclose(f);
    }
    closedir(tasks);
    return hashing;
}

static long status_kb(const char *field)
{
    FILE *f = fopen("/proc/1/status", "r");
    if (f == NULL)
        return -1;
    char line[256];
    long value = -1;
    size_t length = strlen(field);
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, field, length) == 0 && line[length] == ':')
            value = atol(line + length + 1);
    fclose(f);
    return value;
}

int main(int argc, char **argv)
{
    long long t1 = now_ns();
    const char *t0 = getenv("ME_BENCH_T0");
    if (t0 == NULL) {
        fprintf(stderr, "entrypoint_stamp: ME_BENCH_T0 is not set (start it through clock_exec)\n");
        return 2;
    }
    printf("startup_ns %lld\n", t1 - atoll(t0));
    if (argc > 1 && strcmp(argv[1], "memory") == 0) {
        // The enforcer starts hashing once the workload runs, so the thread may not exist yet:
        // wait up to 2 s for it to appear (a tiny image may be hashed before it is seen), then
        // up to 120 s for it to finish.
        long long appear = t1 + 2000000000LL, deadline = t1 + 120000000000LL;
        while (!pid1_is_hashing() && now_ns() < appear)
            usleep(500);
        while (pid1_is_hashing() && now_ns() < deadline)
            usleep(20000);
        printf("hashing_ms %.1f\n", (now_ns() - t1) / 1e6);
        printf("rss_kb %ld\nhwm_kb %ld\n", status_kb("VmRSS"), status_kb("VmHWM"));
    }
    return 0;
}
