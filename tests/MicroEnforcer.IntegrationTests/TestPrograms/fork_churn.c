// Legitimate fork churn, as shell scripts, prefork servers and make -j do: LOOPS parallel loops
// (each its own process) each run CYCLES of fork(); child _exit(0); parent waitpid(), at full
// speed. At any moment at most 2 * LOOPS + 1 processes exist. Prints the totals:
// "cycles=N refused=M other=K" (refused: fork failed with EAGAIN; other: any other failure).
// usage: fork_churn CYCLES [LOOPS]
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct totals { long cycles, refused, other; };

static void loop(long cycles, struct totals *t)
{
    for (long i = 0; i < cycles; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        if (pid > 0) {
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
            __atomic_add_fetch(&t->cycles, 1, __ATOMIC_RELAXED);
        } else if (errno == EAGAIN) {
            __atomic_add_fetch(&t->refused, 1, __ATOMIC_RELAXED);
        } else {
            __atomic_add_fetch(&t->other, 1, __ATOMIC_RELAXED);
        }
    }
}

int main(int argc, char **argv)
{
    long cycles = argc > 1 ? atol(argv[1]) : 1000;
    int loops = argc > 2 ? atoi(argv[2]) : 1;
    struct totals *t = mmap(NULL, sizeof *t, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (t == MAP_FAILED)
        return 70;
    if (loops <= 1) {
        loop(cycles, t);
    } else {
        for (int l = 0; l < loops; l++) {
            pid_t pid;
            while ((pid = fork()) < 0 && errno == EAGAIN)
                __atomic_add_fetch(&t->refused, 1, __ATOMIC_RELAXED);
            if (pid == 0) {
                loop(cycles, t);
                _exit(0);
            }
        }
        while (wait(NULL) > 0 || errno == EINTR)
            ;
    }
    printf("cycles=%ld refused=%ld other=%ld\n", t->cycles, t->refused, t->other);
    return 0;
}
