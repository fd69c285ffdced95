// The calls System Integrity Monitoring reports, each made so that it changes nothing on the
// machine: the tests run as root, with CAP_SYS_TIME, CAP_SYS_BOOT and CAP_SYS_MODULE, in the
// host's UTS namespace. Every call either fails in the kernel's argument checks, before any
// effect (an invalid time, an over-long name, a bad reboot magic, a missing path, garbage as a
// module), or acts inside a namespace of its own (a new UTS namespace, the container's mount
// namespace). adjtimex and clock_adjtime are also made read-only, which must not be reported.
// i386 entry points are made with int 0x80 (built -static -no-pie so that the buffers, in .data
// and .bss, are below 4 GiB).
//
// usage: sim_calls CASE...   prints "CASE: ok" or "CASE: errno N" per case;
//        sim_calls flood N    N sethostname calls with an over-long name (EINVAL), then "flood: done".
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>
#include <linux/reboot.h>

static char long_name[80] = "sim-name-that-is-far-too-long-for-a-hostname-which-the-kernel-caps-at-64";
static char ns_name[] = "sim-host";
static char missing[] = "/nonexistent/sim";
static char missing2[] = "/nonexistent/sim2";
static char mount_dir[] = "/tmp/sim-mnt";
static char tmpfs[] = "tmpfs";
static char source[] = "sim-src";
static struct { int sec, usec; } tv32;
static struct { long long sec, nsec; } ts64;
static int time32;
static struct timex tx;
static unsigned char timex32[256];

static long i386_call(long nr, long b, long c, long d)
{
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(b), "c"(c), "d"(d), "S"(0L), "D"(0L) : "memory");
    return ret;
}

static void report(const char *name, long rc)
{
    if (rc < 0)
        printf("%s: errno %d\n", name, errno);
    else
        printf("%s: ok\n", name);
    fflush(stdout);
}

static void report_raw(const char *name, long ret)   // int 0x80 gives -errno in eax
{
    if (ret < 0 && ret > -4096)
        printf("%s: errno %ld\n", name, -ret);
    else
        printf("%s: ok\n", name);
    fflush(stdout);
}

static int run(const char *c)
{
    errno = 0;
    if (!strcmp(c, "sethostname_long"))
        report(c, sethostname(long_name, 70));                                // EINVAL: over 64
    else if (!strcmp(c, "sethostname_ns")) {
        if (unshare(CLONE_NEWUTS) != 0) { report("unshare", -1); return 1; }
        report(c, sethostname(ns_name, strlen(ns_name)));                      // in a UTS namespace of its own
    } else if (!strcmp(c, "setdomainname_long"))
        report(c, setdomainname(long_name, 70));
    else if (!strcmp(c, "settimeofday_bad")) {
        struct timeval tv = { 1000000000, 2000000 };                          // EINVAL: usec over a second
        report(c, syscall(SYS_settimeofday, &tv, NULL));
    } else if (!strcmp(c, "clock_settime_bad")) {
        struct timespec ts = { 1000000000, -1 };                              // EINVAL: negative nsec
        report(c, syscall(SYS_clock_settime, CLOCK_REALTIME, &ts));
    } else if (!strcmp(c, "adjtimex_read")) {
        memset(&tx, 0, sizeof tx);                                            // modes 0: a read
        report(c, syscall(SYS_adjtimex, &tx));   // glibc's adjtimex() calls clock_adjtime(CLOCK_REALTIME)
    } else if (!strcmp(c, "adjtimex_ss_read")) {
        memset(&tx, 0, sizeof tx);
        tx.modes = ADJ_OFFSET_SS_READ;                                        // adjtime(NULL, &old): a read
        report(c, syscall(SYS_adjtimex, &tx));   // glibc's adjtimex() calls clock_adjtime(CLOCK_REALTIME)
    } else if (!strcmp(c, "adjtimex_tick_bad")) {
        memset(&tx, 0, sizeof tx);
        tx.modes = ADJ_TICK;                                                  // EINVAL: tick out of range
        tx.tick = 1;
        report(c, syscall(SYS_adjtimex, &tx));   // glibc's adjtimex() calls clock_adjtime(CLOCK_REALTIME)
    } else if (!strcmp(c, "clock_adjtime_read")) {
        memset(&tx, 0, sizeof tx);
        report(c, syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx));
    } else if (!strcmp(c, "clock_adjtime_tick_bad")) {
        memset(&tx, 0, sizeof tx);
        tx.modes = ADJ_TICK;
        tx.tick = 1;
        report(c, syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx));
    } else if (!strcmp(c, "mount_tmpfs")) {
        mkdir(mount_dir, 0755);                                               // the container's own mount namespace
        report(c, mount(source, mount_dir, tmpfs, MS_NOSUID | MS_NODEV, "size=1m"));
    } else if (!strcmp(c, "umount_tmpfs"))
        report(c, umount2(mount_dir, MNT_DETACH));
    else if (!strcmp(c, "mount_missing"))
        report(c, mount(source, missing, tmpfs, 0, NULL));                    // ENOENT
    else if (!strcmp(c, "pivot_root_missing"))
        report(c, syscall(SYS_pivot_root, missing, missing2));                // ENOENT
    else if (!strcmp(c, "reboot_bad_magic"))
        report(c, syscall(SYS_reboot, 0x12345678, 0, LINUX_REBOOT_CMD_POWER_OFF, NULL));   // EINVAL: magic checked first
    else if (!strcmp(c, "swapon_missing"))
        report(c, syscall(SYS_swapon, missing, 0));                           // ENOENT
    else if (!strcmp(c, "swapoff_missing"))
        report(c, syscall(SYS_swapoff, missing));
    else if (!strcmp(c, "acct_missing"))
        report(c, syscall(SYS_acct, missing));
    else if (!strcmp(c, "init_module_garbage")) {
        static char garbage[16];                                              // not an ELF image: ENOEXEC
        report(c, syscall(SYS_init_module, garbage, sizeof garbage, ""));
    } else if (!strcmp(c, "finit_module_devnull")) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);                     // not a regular file: EINVAL
        report(c, syscall(SYS_finit_module, fd, "", 0));
        close(fd);
    } else if (!strcmp(c, "delete_module_missing"))
        report(c, syscall(SYS_delete_module, "sim_no_such_module", O_NONBLOCK));   // ENOENT
    else if (!strcmp(c, "kexec_load_bad"))
        report(c, syscall(SYS_kexec_load, 0UL, 1000UL, NULL, 0UL));          // EINVAL: over 16 segments
    else if (!strcmp(c, "kexec_file_load_bad"))
        report(c, syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL, 0xffff0000UL));   // EINVAL: unknown flags
    // i386 entry points (int 0x80).
    else if (!strcmp(c, "i386_sethostname_long"))
        report_raw(c, i386_call(74, (long)long_name, 70, 0));
    else if (!strcmp(c, "i386_settimeofday_bad")) {
        tv32.sec = 1000000000, tv32.usec = 2000000;
        report_raw(c, i386_call(79, (long)&tv32, 0, 0));
    } else if (!strcmp(c, "i386_stime_bad")) {
        time32 = -1;   // before the epoch: do_settimeofday64 refuses it, and stime32 still answers 0
        report_raw(c, i386_call(25, (long)&time32, 0, 0));
    } else if (!strcmp(c, "i386_clock_settime_bad")) {
        tv32.sec = 1000000000, tv32.usec = -1;                                // old_timespec32, nsec -1
        report_raw(c, i386_call(264, CLOCK_REALTIME, (long)&tv32, 0));
    } else if (!strcmp(c, "i386_clock_settime64_bad")) {
        ts64.sec = 1000000000, ts64.nsec = -1;
        report_raw(c, i386_call(404, CLOCK_REALTIME, (long)&ts64, 0));
    } else if (!strcmp(c, "i386_adjtimex_read")) {
        memset(timex32, 0, sizeof timex32);
        report_raw(c, i386_call(124, (long)timex32, 0, 0));
    } else if (!strcmp(c, "i386_adjtimex_tick_bad")) {
        memset(timex32, 0, sizeof timex32);
        *(unsigned int *)timex32 = ADJ_TICK;                                  // struct old_timex32: tick at 17 words in, left 0: EINVAL
        report_raw(c, i386_call(124, (long)timex32, 0, 0));
    } else if (!strcmp(c, "i386_mount_missing"))
        report_raw(c, i386_call(21, (long)source, (long)missing, (long)tmpfs));
    else if (!strcmp(c, "i386_umount_missing"))
        report_raw(c, i386_call(22, (long)missing, 0, 0));
    else if (!strcmp(c, "i386_reboot_bad_magic"))
        report_raw(c, i386_call(88, 0x12345678, 0, 0));
    else {
        fprintf(stderr, "sim_calls: unknown case %s\n", c);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "flood")) {
        int n = atoi(argv[2]), einval = 0;
        for (int i = 0; i < n; i++)
            if (sethostname(long_name, 70) != 0 && errno == EINVAL)
                einval++;
        printf("flood: done %d einval %d\n", n, einval);
        return 0;
    }
    for (int i = 1; i < argc; i++)
        if (run(argv[i]) != 0)
            return 2;
    return 0;
}
