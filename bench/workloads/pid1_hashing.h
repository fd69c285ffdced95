// Waiting for the enforcer's background hashing to end, for the benchmark programs.
//
// `microenforcer run` records the image baseline (walks the root filesystem, then hashes its
// executables) after the workload starts, in a thread of PID 1 named baseline. The throughput
// workloads measure the steady state, so they wait for it to end first; the start-up probe
// reports how long it took.
#pragma once
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long pid1_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int pid1_has_thread(const char *name)
{
    DIR *tasks = opendir("/proc/1/task");
    if (tasks == NULL)
        return 0;
    int found = 0;
    struct dirent *entry;
    while (!found && (entry = readdir(tasks)) != NULL) {
        char path[300], comm[64] = "";
        snprintf(path, sizeof path, "/proc/1/task/%s/comm", entry->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        if (fgets(comm, sizeof comm, f) != NULL && strncmp(comm, name, strlen(name)) == 0)
            found = 1;
        fclose(f);
    }
    closedir(tasks);
    return found;
}

// Returns at once unless PID 1 is the enforcer. The hashing thread may not exist yet when the
// workload starts: it is waited for up to 2 s (a small image may be hashed before it is seen),
// then up to 120 s to finish.
static void pid1_wait_for_hashing(void)
{
    if (!pid1_has_thread("microenforcer"))
        return;
    long long start = pid1_now_ns();
    while (!pid1_has_thread("baseline") && pid1_now_ns() < start + 2000000000LL)
        usleep(500);
    while (pid1_has_thread("baseline") && pid1_now_ns() < start + 120000000000LL)
        usleep(20000);
}
