// Attribute changes (chmod, chown, setxattr, removexattr) on the fixtures the Read-Only tests
// lay in the container's layer: /srv/ro (read-only, with the exception /srv/ro/cache) and
// /srv/rw (writable); f and own (owned by 1000) in each; /srv/rw/locked (0700 root) holds
// mine (owned by 1000). Every call is made through every entry point, and through the tricks
// that would redirect a path checked once: symlink flips, a directory exchanged for a symlink,
// a second thread rewriting the path buffer, dup2 over the fd of an fchmod, "..", dirfds,
// /proc/self/fd/N, a chroot, and i386's int 0x80 (built -static -no-pie: the buffers are below
// 4 GiB). Run natively, the races reach the read-only file; under the enforcer they must not.
//
// usage: attr_attack CASE [ARG]  prints "label: ok" or "label: errno NAME" per call, and
//        "final PATH mode=... uid=... gid=..." where a case ends by showing what changed.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

struct xattr_args { unsigned long long value; unsigned int size, flags; };

static void report(const char *label, long rc)
{
    if (rc < 0)
        printf("%s: errno %s\n", label, strerrorname_np(errno));
    else
        printf("%s: ok\n", label);
    fflush(stdout);
}

static void report_raw(const char *label, long ret)   // int 0x80 gives -errno in eax
{
    if (ret < 0 && ret > -4096)
        printf("%s: errno %s\n", label, strerrorname_np((int)-ret));
    else
        printf("%s: ok\n", label);
    fflush(stdout);
}

static void final(const char *path)
{
    struct stat st;
    char value[64] = "";
    if (lstat(path, &st) != 0) {
        printf("final %s: errno %s\n", path, strerrorname_np(errno));
        return;
    }
    ssize_t n = lgetxattr(path, "user.t", value, sizeof value - 1);
    printf("final %s mode=%o uid=%d gid=%d user.t=%s\n", path, st.st_mode & 07777, st.st_uid, st.st_gid, n >= 0 ? value : "-");
    fflush(stdout);
}

static char label[512];
static const char *L(const char *what, const char *path)
{
    snprintf(label, sizeof label, "%s %s", what, path);
    return label;
}

// Every entry point on one path (as root): the path calls, then the fd calls.
static void ops(const char *p)
{
    report(L("chmod", p), chmod(p, 0600));
    report(L("fchmodat", p), syscall(SYS_fchmodat, AT_FDCWD, p, 0640));
    report(L("fchmodat2", p), syscall(452, AT_FDCWD, p, 0604, 0));
    report(L("fchmodat2-badflags", p), syscall(452, AT_FDCWD, p, 0604, 0x2));
    report(L("chown", p), chown(p, 1, 1));
    report(L("lchown", p), lchown(p, 2, 2));
    report(L("fchownat", p), fchownat(AT_FDCWD, p, 3, 3, 0));
    report(L("setxattr", p), setxattr(p, "user.t", "v1", 2, 0));
    report(L("setxattr-create-exists", p), setxattr(p, "user.t", "v1", 2, XATTR_CREATE));
    report(L("lsetxattr", p), lsetxattr(p, "user.u", "w", 1, 0));
    report(L("lremovexattr", p), lremovexattr(p, "user.u"));
    report(L("removexattr-missing", p), removexattr(p, "user.none"));
    struct xattr_args args = { (unsigned long long)(unsigned long)"v2", 2, 0 };
    report(L("setxattrat", p), syscall(463, AT_FDCWD, p, 0, "user.t", &args, sizeof args));
    report(L("setxattrat-u", p), syscall(463, AT_FDCWD, p, 0, "user.u", &args, sizeof args));
    report(L("removexattrat", p), syscall(466, AT_FDCWD, p, 0, "user.u"));
    int fd = open(p, O_RDONLY);
    report(L("fchmod", p), fchmod(fd, 0612));
    report(L("fchown", p), fchown(fd, 4, 4));
    report(L("fsetxattr", p), fsetxattr(fd, "user.x", "y", 1, 0));
    report(L("fremovexattr", p), fremovexattr(fd, "user.x"));
    report(L("fchownat-empty", p), fchownat(fd, "", 5, 5, AT_EMPTY_PATH));
    close(fd);
    int path_fd = open(p, O_PATH);
    report(L("fchmod-opath", p), fchmod(path_fd, 0666));
    report(L("fchmodat2-empty-opath", p), syscall(452, path_fd, "", 0614, AT_EMPTY_PATH));
    close(path_fd);
    static char big[65537];
    report(L("setxattr-e2big", p), setxattr(p, "user.big", big, sizeof big, 0));
    char long_name[300];
    memset(long_name, 'a', sizeof long_name - 1);
    memcpy(long_name, "user.", 5);
    long_name[sizeof long_name - 1] = 0;
    report(L("setxattr-erange", p), setxattr(p, long_name, "v", 1, 0));
    final(p);
}

static void procfd(const char *p)
{
    char link[64];
    int fd = open(p, O_PATH);
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    report(L("chmod /proc/self/fd", p), chmod(link, 0600));
    snprintf(link, sizeof link, "/proc/thread-self/fd/%d", fd);
    report(L("chmod /proc/thread-self/fd", p), chmod(link, 0601));
    snprintf(link, sizeof link, "/proc/%d/fd/%d", getpid(), fd);
    report(L("chmod /proc/PID/fd", p), chmod(link, 0602));
    snprintf(link, sizeof link, "/dev/fd/%d", fd);
    report(L("chown /dev/fd", p), chown(link, 7, 7));
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    report(L("setxattr /proc/self/fd", p), setxattr(link, "user.t", "pf", 2, 0));
    close(fd);
    final(p);
}

static void relative(void)
{
    report("chmod ../ro/f from /srv/rw", (chdir("/srv/rw"), chmod("../ro/f", 0600)));
    report("chmod f from /srv/rw", chmod("f", 0600));
    int dir = open("/srv", O_PATH | O_DIRECTORY);
    report("fchmodat dirfd ro/f", fchmodat(dir, "ro/f", 0600, 0));
    report("fchmodat dirfd rw/f", fchmodat(dir, "rw/f", 0601, 0));
    report("fchmodat dirfd /srv/ro/f", fchmodat(dir, "/srv/ro/f", 0600, 0));
    report("fchmodat dirfd ro/../ro/./f", fchmodat(dir, "ro/../ro/./f", 0600, 0));
    int ro_dir = open("/srv/ro", O_PATH | O_DIRECTORY);
    report("fchownat ro dirfd ../rw/f", fchownat(ro_dir, "../rw/f", 9, 9, 0));
    report("fchownat ro dirfd empty", fchownat(ro_dir, "", 9, 9, AT_EMPTY_PATH));
    report("chmod /srv/rw/../ro/f", chmod("/srv/rw/../ro/f", 0600));
    report("chmod /../../srv/ro/f", chmod("/../../srv/ro/f", 0600));
    report("chmod /srv/ro/dir/", chmod("/srv/ro/dir/", 0700));
    report("chmod /srv/rw/f/", chmod("/srv/rw/f/", 0600));
    report("chmod /srv/ro/cache/f", chmod("/srv/ro/cache/f", 0600));
    symlink("/srv/ro/f", "/tmp/abs");
    symlink("../srv/ro/f", "/tmp/rel");
    symlink("/srv/ro", "/tmp/dirlink");
    symlink("/srv/rw/f", "/tmp/rwlink");
    symlink("/tmp/loop", "/tmp/loop");
    symlink("/nonexistent", "/tmp/dangling");
    report("chmod /tmp/abs", chmod("/tmp/abs", 0600));
    report("chmod /tmp/rel", chmod("/tmp/rel", 0600));
    report("chmod /tmp/dirlink/f", chmod("/tmp/dirlink/f", 0600));
    report("chmod /tmp/dirlink/../rw/f", chmod("/tmp/dirlink/../rw/f", 0603));
    report("chmod /tmp/rwlink", chmod("/tmp/rwlink", 0604));
    report("lchown /tmp/abs", lchown("/tmp/abs", 8, 8));
    report("fchownat nofollow /tmp/abs", fchownat(AT_FDCWD, "/tmp/abs", 8, 8, AT_SYMLINK_NOFOLLOW));
    report("fchownat follow /tmp/abs", fchownat(AT_FDCWD, "/tmp/abs", 8, 8, 0));
    report("fchmodat2 nofollow /tmp/abs", syscall(452, AT_FDCWD, "/tmp/abs", 0600, AT_SYMLINK_NOFOLLOW));
    report("chmod /tmp/loop", chmod("/tmp/loop", 0600));
    report("chmod /tmp/dangling", chmod("/tmp/dangling", 0600));
    report("chmod /proc/self/root/srv/ro/f", chmod("/proc/self/root/srv/ro/f", 0600));
    report("chmod /proc/self/cwd/../ro/f", chmod("/proc/self/cwd/../ro/f", 0600));
    report("chmod /srv/missing", chmod("/srv/missing", 0600));
    report("chmod NULL", syscall(SYS_chmod, NULL, 0600));
    report("chmod bad fd", fchmod(999, 0600));
    final("/srv/ro/f");
    final("/srv/ro/dir");
    final("/srv/rw/f");
    final("/srv/ro/cache/f");
}

static void in_chroot(void)
{
    unlink("/srv/rw/abs");
    symlink("/ro/f", "/srv/rw/abs");   // inside the chroot: /srv/ro/f; outside it names nothing
    if (chroot("/srv") != 0 || chdir("/rw") != 0) {
        perror("chroot");
        exit(1);
    }
    report("chroot chmod /ro/f", chmod("/ro/f", 0600));
    report("chroot chmod ../ro/f", chmod("../ro/f", 0600));
    report("chroot chmod /../../ro/f", chmod("/../../ro/f", 0600));
    report("chroot chmod /rw/abs", chmod("/rw/abs", 0600));
    report("chroot chmod /rw/f", chmod("/rw/f", 0605));
    final("/ro/f");
    final("/rw/f");
}

// --- races ---------------------------------------------------------------------------------

static volatile int stop;
static char buffer[] = "/srv/rw/f";

static void *flip_symlink(void *unused)
{
    (void)unused;
    while (!stop) {
        symlink("/srv/ro/f", "/tmp/flip.new");
        rename("/tmp/flip.new", "/tmp/flip");
        symlink("/srv/rw/f", "/tmp/flip.new");
        rename("/tmp/flip.new", "/tmp/flip");
    }
    return NULL;
}

static void *exchange_dir(void *unused)
{
    (void)unused;
    while (!stop)
        syscall(SYS_renameat2, AT_FDCWD, "/tmp/swap/a", AT_FDCWD, "/tmp/swap/b", 2 /* RENAME_EXCHANGE */);
    return NULL;
}

static void *rewrite_buffer(void *unused)
{
    (void)unused;
    volatile char *b = buffer;   // every store happens: the kernel may read the path between any two
    while (!stop) {
        b[6] = 'o';
        b[6] = 'w';
    }
    return NULL;
}

static int race_fd, ro_fd, rw_fd;

static void *dup2_over(void *unused)
{
    (void)unused;
    while (!stop) {
        dup2(ro_fd, race_fd);
        dup2(rw_fd, race_fd);
    }
    return NULL;
}

static void race(const char *name, int iterations)
{
    pthread_t thread;
    void *(*attacker)(void *) = !strcmp(name, "race_symlink") ? flip_symlink
        : !strcmp(name, "race_dir") ? exchange_dir
        : !strcmp(name, "race_buffer") ? rewrite_buffer : dup2_over;
    if (attacker == exchange_dir) {
        mkdir("/tmp/swap", 0755);
        mkdir("/tmp/swap/a", 0755);
        close(open("/tmp/swap/a/f", O_CREAT | O_WRONLY, 0644));
        symlink("/srv/ro", "/tmp/swap/b");
    }
    if (attacker == dup2_over) {
        ro_fd = open("/srv/ro/f", O_RDONLY);
        rw_fd = open("/srv/rw/f", O_RDONLY);
        race_fd = dup(rw_fd);
    }
    symlink("/srv/rw/f", "/tmp/flip");
    pthread_create(&thread, NULL, attacker, NULL);
    int ok = 0, erofs = 0, other = 0;
    for (int i = 0; i < iterations; i++) {
        int rc = attacker == flip_symlink ? chmod("/tmp/flip", i & 1 ? 0777 : 0666)
            : attacker == exchange_dir ? chmod("/tmp/swap/a/f", i & 1 ? 0777 : 0666)
            : attacker == rewrite_buffer ? chmod(buffer, i & 1 ? 0777 : 0666)
            : fchmod(race_fd, i & 1 ? 0777 : 0666);
        if (rc == 0)
            ok++;
        else if (errno == EROFS)
            erofs++;
        else
            other++;
    }
    stop = 1;
    pthread_join(thread, NULL);
    printf("%s: ok %d erofs %d other %d\n", name, ok, erofs, other);
    final("/srv/ro/f");
}

// --- i386 ----------------------------------------------------------------------------------

static char ro_path[] = "/srv/ro/f";
static char rw_path[] = "/srv/rw/f";
static char xname[] = "user.t";
static char xvalue[] = "i3";

static long i386_call(long nr, long b, long c, long d)
{
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(b), "c"(c), "d"(d), "S"(0L), "D"(0L) : "memory");
    return ret;
}

static long i386_call5(long nr, long b, long c, long d, long s, long di)
{
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(b), "c"(c), "d"(d), "S"(s), "D"(di) : "memory");
    return ret;
}

static void i386(const char *which)
{
    char *p = !strcmp(which, "ro") ? ro_path : rw_path;
    int fd = open(p, O_RDONLY);
    report_raw(L("i386 chmod", p), i386_call(15, (long)p, 0600, 0));
    report_raw(L("i386 fchmod", p), i386_call(94, fd, 0601, 0));
    report_raw(L("i386 fchmodat", p), i386_call(306, AT_FDCWD, (long)p, 0602));
    report_raw(L("i386 chown32", p), i386_call(212, (long)p, 21, 21));
    report_raw(L("i386 chown16 (-1, 22)", p), i386_call(182, (long)p, 0xffff, 22));
    report_raw(L("i386 lchown16 (23, -1)", p), i386_call(16, (long)p, 23, 0xffff));
    report_raw(L("i386 fchown16 (24, 0x10019)", p), i386_call(95, fd, 24, 0x10019));   // the kernel takes the low 16 bits: 25
    report_raw(L("i386 setxattr", p), i386_call5(226, (long)p, (long)xname, (long)xvalue, 2, 0));
    report_raw(L("i386 removexattr", p), i386_call(235, (long)p, (long)xname, 0));
    close(fd);
    final(p);
}

// --- as a user -----------------------------------------------------------------------------

static void as_user(void)
{
    pid_t child = fork();
    if (child == 0) {
        if (setgroups(0, NULL) != 0 || setgid(1000) != 0 || setuid(1000) != 0) {
            perror("drop");
            _exit(1);
        }
        report("user chmod /srv/rw/f (root's)", chmod("/srv/rw/f", 0600));
        report("user chown /srv/rw/f (root's)", chown("/srv/rw/f", 1000, 1000));
        report("user setxattr /srv/rw/f (root's)", setxattr("/srv/rw/f", "user.t", "u", 1, 0));
        report("user chmod /srv/rw/own", chmod("/srv/rw/own", 02750));
        report("user chown /srv/rw/own to 1000:1000", chown("/srv/rw/own", 1000, 1000));
        report("user chown /srv/rw/own to 0", chown("/srv/rw/own", 0, -1));
        report("user chown /srv/rw/own to group 0", chown("/srv/rw/own", -1, 0));
        report("user setxattr /srv/rw/own", setxattr("/srv/rw/own", "user.t", "u", 1, 0));
        report("user chmod /srv/rw/locked/mine", chmod("/srv/rw/locked/mine", 0600));
        report("user chmod /srv/ro/own", chmod("/srv/ro/own", 0600));
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    final("/srv/rw/f");
    final("/srv/rw/own");
    final("/srv/ro/own");
    final("/srv/rw/locked/mine");
}

// Cost: N chmods of one path, timed (not a test: docs/cost.md quotes it).
static void bench(int n, const char *p)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; i++)
        chmod(p, i & 1 ? 0644 : 0640);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
    printf("bench %s: %d chmod, %.0f ns each\n", p, n, ns / n);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *c = argv[1];
    if (!strcmp(c, "ops"))
        ops(argv[2]);
    else if (!strcmp(c, "procfd"))
        procfd(argv[2]);
    else if (!strcmp(c, "relative"))
        relative();
    else if (!strcmp(c, "chroot"))
        in_chroot();
    else if (!strncmp(c, "race_", 5))
        race(c, argc > 2 ? atoi(argv[2]) : 20000);
    else if (!strcmp(c, "i386"))
        i386(argv[2]);
    else if (!strcmp(c, "user"))
        as_user();
    else if (!strcmp(c, "bench"))
        bench(atoi(argv[2]), argv[3]);
    else
        return 2;
    return 0;
}
