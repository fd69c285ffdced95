// One workload process writing into another, its sibling: both are children of this program,
// so the victim's `flag` is at the same address in both. The victim waits up to two seconds for
// its flag to change and prints "victim: PWNED" or "victim: intact"; the attacker prints what
// its call answered ("ATTACK: ok" / "ATTACK: errno N").
//
// usage: ptrace_attack ATTACK
//   attach, seize         ptrace the sibling, poke its flag, detach
//   traceme               the victim asks to be traced by its parent (this program), stops;
//                         the parent pokes its flag
//   traceme_exec          the child asks to be traced, then execs /opt/tests/hello
//   vm_writev             process_vm_writev into the sibling
//   mem, mem_openat, mem_symlink, mem_reopen, mem_openat2, mem_i386
//                         write the sibling's /proc/PID/mem: by path, openat(dirfd of /proc/PID,
//                         "mem"), a symlink to it, a read-only fd reopened for writing through
//                         /proc/self/fd/N, openat2, and i386 open (int 0x80)
//   self_mem, self_vm_writev  a process writing into itself (stays allowed)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile long flag;
static char path[64];

static void say(const char *what, long rc)
{
    if (rc < 0)
        printf("%s: errno %d\n", what, errno);
    else
        printf("%s: ok\n", what);
    fflush(stdout);
}

static void victim_wait(void)
{
    for (int i = 0; i < 200 && !flag; i++)
        usleep(10000);
    printf("victim: %s\n", flag ? "PWNED" : "intact");
    fflush(stdout);
    _exit(0);
}

static long write_mem(int fd, const char *what)
{
    long one = 1;
    if (fd < 0) {
        say(what, -1);
        return -1;
    }
    long n = pwrite(fd, &one, sizeof one, (off_t)(unsigned long)&flag);
    say(what, n == sizeof one ? 0 : -1);
    close(fd);
    return n;
}

static void poke_traced(pid_t pid, const char *what, int seize)
{
    long rc = seize ? ptrace(PTRACE_SEIZE, pid, 0, 0) : ptrace(PTRACE_ATTACH, pid, 0, 0);
    say(what, rc);
    if (rc < 0)
        return;
    if (seize)
        ptrace(PTRACE_INTERRUPT, pid, 0, 0);
    waitpid(pid, NULL, __WALL);
    ptrace(PTRACE_POKEDATA, pid, (void *)&flag, (void *)1L);
    ptrace(PTRACE_DETACH, pid, 0, 0);
}

static void attack(const char *a, pid_t v)
{
    if (!strcmp(a, "attach") || !strcmp(a, "seize")) {
        poke_traced(v, a, a[0] == 's');
    } else if (!strcmp(a, "vm_writev")) {
        long one = 1;
        struct iovec local = { &one, sizeof one }, remote = { (void *)&flag, sizeof one };
        say(a, process_vm_writev(v, &local, 1, &remote, 1, 0));
    } else if (!strcmp(a, "mem")) {
        snprintf(path, sizeof path, "/proc/%d/mem", v);
        write_mem(open(path, O_RDWR | O_CLOEXEC), a);
    } else if (!strcmp(a, "mem_openat")) {
        snprintf(path, sizeof path, "/proc/%d", v);
        int dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        write_mem(openat(dir, "mem", O_WRONLY | O_CLOEXEC), a);
    } else if (!strcmp(a, "mem_symlink")) {
        snprintf(path, sizeof path, "/proc/%d/mem", v);
        unlink("/tmp/mem-link");
        if (symlink(path, "/tmp/mem-link") != 0)
            say("symlink", -1);
        write_mem(open("/tmp/mem-link", O_WRONLY | O_CLOEXEC), a);
    } else if (!strcmp(a, "mem_reopen")) {
        snprintf(path, sizeof path, "/proc/%d/mem", v);
        int ro = open(path, O_RDONLY | O_CLOEXEC);
        if (ro < 0) {
            say("open read-only", -1);
            return;
        }
        char self[64];
        snprintf(self, sizeof self, "/proc/self/fd/%d", ro);
        write_mem(open(self, O_RDWR | O_CLOEXEC), a);
    } else if (!strcmp(a, "mem_openat2")) {
        snprintf(path, sizeof path, "/proc/%d/mem", v);
        struct open_how how = { .flags = O_RDWR | O_CLOEXEC };
        write_mem((int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how), a);
    } else if (!strcmp(a, "mem_i386")) {
        snprintf(path, sizeof path, "/proc/%d/mem", v);
        long fd;
        __asm__ volatile("int $0x80" : "=a"(fd) : "a"(5L), "b"(path), "c"((long)O_RDWR), "d"(0L) : "memory");
        if (fd < 0)
            errno = (int)-fd;
        write_mem(fd < 0 ? -1 : (int)fd, a);
    } else {
        fprintf(stderr, "ptrace_attack: unknown attack %s\n", a);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ptrace_attack ATTACK\n");
        return 2;
    }
    const char *a = argv[1];
    if (!strcmp(a, "self_mem")) {
        write_mem(open("/proc/self/mem", O_RDWR | O_CLOEXEC), a);
        printf("self: %s\n", flag ? "written" : "unchanged");
        return 0;
    }
    if (!strcmp(a, "self_vm_writev")) {
        long one = 1;
        struct iovec local = { &one, sizeof one }, remote = { (void *)&flag, sizeof one };
        say(a, process_vm_writev(getpid(), &local, 1, &remote, 1, 0));
        printf("self: %s\n", flag ? "written" : "unchanged");
        return 0;
    }
    if (!strcmp(a, "traceme") || !strcmp(a, "traceme_exec")) {
        pid_t child = fork();
        if (child == 0) {
            say(a, ptrace(PTRACE_TRACEME, 0, 0, 0));
            if (!strcmp(a, "traceme_exec")) {
                execl("/opt/tests/hello", "hello", (char *)NULL);
                say("exec", -1);
                _exit(127);
            }
            raise(SIGSTOP);
            victim_wait();
        }
        int status;
        waitpid(child, &status, WUNTRACED);
        if (WIFSTOPPED(status)) {
            // Traced: the parent writes into the child and lets it go. Not traced: it cannot.
            if (ptrace(PTRACE_POKEDATA, child, (void *)&flag, (void *)1L) == 0)
                ptrace(PTRACE_DETACH, child, 0, 0);
            kill(child, SIGCONT);
            waitpid(child, &status, 0);
        }
        printf("child: %s\n", WIFEXITED(status) ? "exited" : "killed");
        return 0;
    }
    pid_t v = fork();
    if (v == 0)
        victim_wait();
    pid_t attacker = fork();
    if (attacker == 0) {
        usleep(50000);
        attack(a, v);
        _exit(0);
    }
    waitpid(attacker, NULL, 0);
    waitpid(v, NULL, 0);
    return 0;
}
