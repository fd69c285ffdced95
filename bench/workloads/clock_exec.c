// Start-up probe, first half: puts CLOCK_MONOTONIC in ME_BENCH_T0 and execs its arguments
// (`microenforcer run -- entrypoint_stamp`, or the stamp directly for the native figure).
// The clock is shared by every pid namespace, so the stamp's reading inside is comparable.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: clock_exec PROGRAM [ARGS...]\n");
        return 2;
    }
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    char value[32];
    snprintf(value, sizeof value, "%lld", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
    setenv("ME_BENCH_T0", value, 1);
    execv(argv[1], argv + 1);
    perror("clock_exec: execv");
    return 127;
}
