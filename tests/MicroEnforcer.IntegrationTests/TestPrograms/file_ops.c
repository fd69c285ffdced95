// The file changes File Integrity Monitoring reports, one per case, each on its own file under
// /srv/w (the test's watched directory, filled by the test before PID 1 starts: every file holds
// "old\n"), written "new\n" where the case writes. Paths come in every form the kernel resolves:
// absolute, relative to the cwd, relative to a dirfd, through "..", through a symlinked
// directory, through a dangling symlink that open(O_CREAT) follows; and through the i386 entry
// points (int 0x80; built -static -no-pie so that the strings are below 4 GiB).
//
// usage: file_ops CASE...   prints "CASE: ok" or "CASE: errno N" per case.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/openat2.h>

static long i386_call(long nr, long b, long c, long d)
{
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(b), "c"(c), "d"(d), "S"(0L), "D"(0L) : "memory");
    return ret;
}

static char i386_write_path[] = "/srv/w/i386_write.txt";
static char i386_chmod_path[] = "/srv/w/i386_chmod.txt";
static char i386_unlink_path[] = "/srv/w/i386_unlink.txt";
static char i386_old[] = "/srv/w/i386_rename.txt";
static char i386_new[] = "/srv/w/i386_renamed.txt";
static char i386_rel[] = "i386_rel.txt";
static char new_text[] = "new\n";

static long write_new(int fd)
{
    if (fd < 0)
        return -1;
    long n = write(fd, "new\n", 4);
    close(fd);
    return n == 4 ? 0 : -1;
}

// i386: errno from the kernel's return, as libc would set it.
static long i386_result(long ret)
{
    if (ret < 0 && ret > -4096) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}

static long run(const char *c)
{
    if (!strcmp(c, "write")) return write_new(open("/srv/w/write.txt", O_WRONLY));
    if (!strcmp(c, "trunc_open")) return write_new(open("/srv/w/trunc_open.txt", O_WRONLY | O_TRUNC));
    if (!strcmp(c, "create")) return write_new(open("/srv/w/created.txt", O_WRONLY | O_CREAT | O_EXCL, 0644));
    if (!strcmp(c, "creat")) return write_new(creat("/srv/w/creat.txt", 0644));
    if (!strcmp(c, "rdonly_create")) {
        int fd = open("/srv/w/rdonly_created.txt", O_RDONLY | O_CREAT, 0644);
        return fd < 0 ? -1 : close(fd);
    }
    if (!strcmp(c, "truncate")) return truncate("/srv/w/truncate.txt", 0);
    if (!strcmp(c, "ftruncate")) {
        int fd = open("/srv/w/ftruncate.txt", O_RDWR);
        if (fd < 0)
            return -1;
        long rc = ftruncate(fd, 1);
        close(fd);
        return rc;
    }
    if (!strcmp(c, "unlink")) return unlink("/srv/w/unlink.txt");
    if (!strcmp(c, "rename")) return rename("/srv/w/rename.txt", "/srv/w/renamed.txt");
    if (!strcmp(c, "rename_in")) return rename("/srv/u/moved_in.txt", "/srv/w/moved_in.txt");
    if (!strcmp(c, "link")) return link("/srv/w/link.txt", "/srv/w/linked.txt");
    if (!strcmp(c, "symlink")) return symlink("/etc/passwd", "/srv/w/symlink");
    if (!strcmp(c, "mkdir")) return mkdir("/srv/w/newdir", 0755);
    if (!strcmp(c, "rmdir")) return rmdir("/srv/w/emptydir");
    if (!strcmp(c, "mknod")) return mknod("/srv/w/fifo", S_IFIFO | 0644, 0);
    if (!strcmp(c, "chmod")) return chmod("/srv/w/chmod.txt", 0600);
    if (!strcmp(c, "chown")) return chown("/srv/w/chown.txt", 1, 1);
    if (!strcmp(c, "setxattr")) return setxattr("/srv/w/xattr.txt", "user.fim", "1", 1, 0);
    if (!strcmp(c, "removexattr")) return removexattr("/srv/w/xattr.txt", "user.fim");
    if (!strcmp(c, "fchmod")) {
        int fd = open("/srv/w/fchmod.txt", O_RDONLY);
        if (fd < 0)
            return -1;
        long rc = fchmod(fd, 0600);
        close(fd);
        return rc;
    }
    if (!strcmp(c, "relative")) {
        if (chdir("/srv/w") != 0)
            return -1;
        return write_new(open("relative.txt", O_WRONLY));
    }
    if (!strcmp(c, "dirfd")) {
        int dir = open("/srv", O_DIRECTORY | O_RDONLY);
        if (dir < 0)
            return -1;
        long rc = write_new(openat(dir, "w/dirfd.txt", O_WRONLY));
        close(dir);
        return rc;
    }
    if (!strcmp(c, "dotdot")) return write_new(open("/srv/w/sub/../../w/./dotdot.txt", O_WRONLY));
    if (!strcmp(c, "symdir")) {
        if (symlink("/srv/w", "/tmp/wlink") != 0)
            return -1;
        return write_new(open("/tmp/wlink/symdir.txt", O_WRONLY));
    }
    if (!strcmp(c, "dangling")) {
        if (symlink("../srv/w/dangled.txt", "/tmp/dangle") != 0)
            return -1;
        return write_new(open("/tmp/dangle", O_WRONLY | O_CREAT, 0644));
    }
    if (!strcmp(c, "openat2")) {
        struct open_how how = { .flags = O_WRONLY };
        return write_new((int)syscall(SYS_openat2, AT_FDCWD, "/srv/w/openat2.txt", &how, sizeof how));
    }
    if (!strcmp(c, "openat2_read")) {
        struct open_how how = { .flags = O_RDONLY };
        int fd = (int)syscall(SYS_openat2, AT_FDCWD, "/srv/w/write.txt", &how, sizeof how);
        return fd < 0 ? -1 : close(fd);
    }
    if (!strcmp(c, "read")) {
        int fd = open("/srv/w/write.txt", O_RDONLY);
        return fd < 0 ? -1 : close(fd);
    }
    if (!strcmp(c, "hold_open")) {
        // A writer that keeps the file open past the enforcer's wait for its close.
        int fd = open("/srv/w/held.txt", O_WRONLY | O_TRUNC);
        if (fd < 0 || write(fd, "new\n", 4) != 4)
            return -1;
        sleep(7);
        return close(fd);
    }
    if (!strcmp(c, "unlink_missing")) return unlink("/srv/w/missing.txt");
    if (!strcmp(c, "unwatched")) return write_new(open("/srv/u/other.txt", O_WRONLY | O_TRUNC));
    if (!strcmp(c, "i386_write")) {
        long fd = i386_result(i386_call(5, (long)i386_write_path, O_WRONLY, 0));   // open
        if (fd < 0)
            return -1;
        i386_call(4, fd, (long)new_text, 4);   // write
        return i386_result(i386_call(6, fd, 0, 0));   // close
    }
    if (!strcmp(c, "i386_chmod")) return i386_result(i386_call(15, (long)i386_chmod_path, 0600, 0));
    if (!strcmp(c, "i386_unlink")) return i386_result(i386_call(10, (long)i386_unlink_path, 0, 0));
    if (!strcmp(c, "i386_rename")) return i386_result(i386_call(38, (long)i386_old, (long)i386_new, 0));
    if (!strcmp(c, "i386_relative")) {
        if (chdir("/srv/w/sub") != 0 || chdir("..") != 0)
            return -1;
        long fd = i386_result(i386_call(5, (long)i386_rel, O_WRONLY | O_TRUNC, 0));
        if (fd < 0)
            return -1;
        i386_call(4, fd, (long)new_text, 4);
        return i386_result(i386_call(6, fd, 0, 0));
    }
    fprintf(stderr, "file_ops: unknown case %s\n", c);
    errno = EINVAL;
    return -1;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        long rc = run(argv[i]);
        if (rc < 0)
            printf("%s: errno %d\n", argv[i], errno);
        else
            printf("%s: ok\n", argv[i]);
        fflush(stdout);
    }
    return 0;
}
