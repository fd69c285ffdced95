// Start-up probe, second half: the entrypoint. Its first act is to read the clock, so
// "startup_ns" is the time from clock_exec to the entrypoint's first instructions (a static
// binary: nothing runs before main but the C runtime's own setup).
//
// With "memory" it then waits until the enforcer has hashed the image (pid1_hashing.h) and prints
// PID 1's resident memory then (rss_kb) and its peak (hwm_kb), and how long the hashing took
// from here.
#define _GNU_SOURCE
#include "pid1_hashing.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
    long long t1 = pid1_now_ns();
    const char *t0 = getenv("ME_BENCH_T0");
    if (t0 == NULL) {
        fprintf(stderr, "entrypoint_stamp: ME_BENCH_T0 is not set (start it through clock_exec)\n");
        return 2;
    }
    printf("startup_ns %lld\n", t1 - atoll(t0));
    if (argc > 1 && strcmp(argv[1], "memory") == 0) {
        pid1_wait_for_hashing();
        printf("hashing_ms %.1f\n", (pid1_now_ns() - t1) / 1e6);
        printf("rss_kb %ld\nhwm_kb %ld\n", status_kb("VmRSS"), status_kb("VmHWM"));
    }
    return 0;
}
