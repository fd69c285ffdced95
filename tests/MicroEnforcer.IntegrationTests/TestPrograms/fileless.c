// Fileless execution, each route a real attacker or a JIT would take.
//   fileless execveat PATH   memfd holding PATH's bytes, execveat(memfd, "", AT_EMPTY_PATH)
//   fileless fexecve PATH    the same through glibc's fexecve
//   fileless procfd PATH     the same through execve("/proc/self/fd/N")
//   fileless tmpfile PATH    O_TMPFILE in /tmp holding PATH's bytes, exec via /proc/self/fd/N
//   fileless deleted PATH    a copy in /tmp, opened, unlinked, exec via execveat(fd, "", AT_EMPTY_PATH)
//   fileless jit             memfd with machine code (mov eax, 42; ret), mmap PROT_EXEC, call it
// Exec routes print "fileless: <strerror>" on failure and exit 126 for EACCES, 1 otherwise.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void copy_into(int to, const char *path)
{
    int from = open(path, O_RDONLY);
    char buf[65536];
    ssize_t n;
    if (from < 0) { perror("open"); exit(2); }
    while ((n = read(from, buf, sizeof buf)) > 0)
        if (write(to, buf, n) != n) { perror("write"); exit(2); }
    close(from);
}

static int fail(void)
{
    int e = errno;
    fprintf(stderr, "fileless: %s\n", strerror(e));
    return e == EACCES ? 126 : 1;
}

int main(int argc, char **argv)
{
    char *args[] = { "payload", NULL };
    char proc[64];
    if (argc == 2 && strcmp(argv[1], "jit") == 0) {
        static const unsigned char code[] = { 0xb8, 42, 0, 0, 0, 0xc3 };   // mov eax, 42; ret
        int fd = memfd_create("jit", MFD_CLOEXEC);
        if (fd < 0 || write(fd, code, sizeof code) != sizeof code) { perror("memfd"); return 2; }
        void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) { perror("mmap"); return 2; }
        int value = ((int (*)(void))p)();
        printf("jit returned %d\n", value);
        return value == 42 ? 0 : 1;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: fileless execveat|fexecve|procfd|tmpfile|deleted PATH | fileless jit\n");
        return 2;
    }
    const char *mode = argv[1];
    int fd;
    if (strcmp(mode, "tmpfile") == 0) {
        fd = open("/tmp", O_TMPFILE | O_RDWR, 0755);
    } else if (strcmp(mode, "deleted") == 0) {
        fd = open("/tmp/deleted-payload", O_CREAT | O_RDWR | O_TRUNC, 0755);
        unlink("/tmp/deleted-payload");
    } else {
        fd = memfd_create("payload", 0);
    }
    if (fd < 0) { perror("create"); return 2; }
    copy_into(fd, argv[2]);
    fchmod(fd, 0755);
    // A read-write fd cannot be exec'd (ETXTBSY): reopen it read-only through /proc.
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    int ro = open(proc, O_RDONLY);
    if (ro < 0) { perror("reopen"); return 2; }
    close(fd);
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", ro);
    if (strcmp(mode, "fexecve") == 0)
        fexecve(ro, args, environ);
    else if (strcmp(mode, "procfd") == 0 || strcmp(mode, "tmpfile") == 0)
        execve(proc, args, environ);
    else
        syscall(SYS_execveat, ro, "", args, environ, AT_EMPTY_PATH);
    return fail();
}
