// Ways to reach a protected file (File Block, Read-Only): each prints "ATTACK: ok CONTENT" (what
// it read, or "written") or "ATTACK: errno N". Run natively, each must work: the tests' control.
//
//   file_attack ATTACK TARGET [DECOY]
//
// Reading TARGET:
//   read          open(TARGET)
//   openat        openat(dirfd of TARGET's directory, basename)
//   dotdot        chdir("/tmp"), then open a relative path: ".." up past the root, down to TARGET
//   opath_reopen  open(TARGET, O_PATH), then open("/proc/self/fd/N", O_RDONLY)
//   proc_root     open("/proc/self/root" TARGET)
//   symlink       symlink("/tmp/link" -> TARGET), open the link
//   hardlink      link(TARGET, DECOY's directory "/hard"), open the link (a link must stay on
//                 its file system: /tmp is another)
//   rename_dir    rename(TARGET's directory, "/tmp/moved" or a sibling), open it there
//   openat2       openat2(AT_FDCWD, TARGET)
//   i386          open through int 0x80 (the i386 entry point)
//   read_creat    open(TARGET, O_RDONLY|O_CREAT): creates nothing when the file is there
//   mkdir_there   mkdir(TARGET) of a directory that is there: EEXIST (mkdir -p relies on it)
//   unlink_gone   unlink(TARGET) of a file that is not there: ENOENT (rm -f relies on it)
//   handle        name_to_handle_at(TARGET), then open_by_handle_at (needs CAP_DAC_READ_SEARCH)
//   flip          a thread flips "/tmp/flip" between DECOY and TARGET while the main thread opens
//                 it 20000 times: "ok" when any open read TARGET's content, else "never (N opens,
//                 M refused)": both must be above 0, or the race was not run
// Changing TARGET (a file, or for create/mkdir/link_into a directory):
//   write         open(TARGET, O_WRONLY|O_APPEND), write
//   truncate      truncate(TARGET, 0)
//   unlink        unlink(TARGET)
//   rename_over   rename(EVIL, TARGET) after creating EVIL, DECOY's directory "/evil" (a rename
//                 or link stays on its file system: /tmp is another)
//   rename_away   rename(TARGET, TARGET ".moved")
//   rename_dir_write  rename(TARGET's directory, DIR ".moved"), then write the file there
//   create        open(TARGET "/new", O_CREAT|O_WRONLY), write
//   mkdir         mkdir(TARGET "/newdir")
//   link_into     link(EVIL, TARGET "/linked")
//   write_i386    open(TARGET, O_WRONLY|O_APPEND) through int 0x80, write
//   write_flip    as flip, opening for append and writing "X": "ok" when TARGET grew
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char target[4096], decoy[4096], dir[4096], base[4096];
static char i386_path[4096];
static volatile int stop;

static void result(const char *attack, int fd)
{
    if (fd < 0) {
        printf("%s: errno %d\n", attack, errno);
        return;
    }
    char buffer[64] = { 0 };
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    if (n < 0) {
        printf("%s: errno %d\n", attack, errno);
        return;
    }
    buffer[strcspn(buffer, "\n")] = 0;
    printf("%s: ok %s\n", attack, buffer);
}

static void written(const char *attack, long rc)
{
    if (rc < 0)
        printf("%s: errno %d\n", attack, errno);
    else
        printf("%s: ok written\n", attack);
}

static long write_to(int fd)
{
    if (fd < 0)
        return -1;
    long rc = write(fd, "X", 1);
    close(fd);
    return rc;
}

static void *flipper(void *arg)
{
    (void)arg;
    while (!stop) {
        unlink("/tmp/flip.new");
        symlink(decoy, "/tmp/flip.new");
        rename("/tmp/flip.new", "/tmp/flip");
        unlink("/tmp/flip.new");
        symlink(target, "/tmp/flip.new");
        rename("/tmp/flip.new", "/tmp/flip");
    }
    return NULL;
}

static long i386_open(int flags)
{
    strcpy(i386_path, target);
    long fd;
    __asm__ volatile("int $0x80" : "=a"(fd) : "a"(5L), "b"(i386_path), "c"((long)flags), "d"(0L) : "memory");
    if (fd < 0) {
        errno = (int)-fd;
        return -1;
    }
    return fd;
}

static const char *evil(void)
{
    static char path[4200];
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", decoy);
    snprintf(path, sizeof path, "%s/evil", dirname(copy));
    return path;
}

static char *join(const char *a, const char *b)
{
    static char buffers[4][4096];
    static int next;
    char *out = buffers[next++ % 4];
    snprintf(out, 4096, "%s%s", a, b);
    return out;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: file_attack ATTACK TARGET [DECOY]\n");
        return 2;
    }
    const char *a = argv[1];
    snprintf(target, sizeof target, "%s", argv[2]);
    snprintf(decoy, sizeof decoy, "%s", argc > 3 ? argv[3] : "/dev/null");
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", target);
    snprintf(dir, sizeof dir, "%s", dirname(copy));
    snprintf(copy, sizeof copy, "%s", target);
    snprintf(base, sizeof base, "%s", basename(copy));
    setvbuf(stdout, NULL, _IONBF, 0);

    if (!strcmp(a, "read")) {
        result(a, open(target, O_RDONLY));
    } else if (!strcmp(a, "openat")) {
        int d = open(dir, O_RDONLY | O_DIRECTORY);
        result(a, d < 0 ? -1 : openat(d, base, O_RDONLY));
    } else if (!strcmp(a, "dotdot")) {
        if (chdir("/tmp") != 0)
            return 3;
        result(a, open(join("../../../..", target), O_RDONLY));
    } else if (!strcmp(a, "opath_reopen")) {
        int p = open(target, O_PATH);
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", p);
        result(a, p < 0 ? -1 : open(link, O_RDONLY));
    } else if (!strcmp(a, "proc_root")) {
        result(a, open(join("/proc/self/root", target), O_RDONLY));
    } else if (!strcmp(a, "symlink")) {
        unlink("/tmp/link");
        result(a, symlink(target, "/tmp/link") != 0 ? -1 : open("/tmp/link", O_RDONLY));
    } else if (!strcmp(a, "hardlink")) {
        char copy2[4096], hard[4200];
        snprintf(copy2, sizeof copy2, "%s", decoy);
        snprintf(hard, sizeof hard, "%s/hard", dirname(copy2));
        unlink(hard);
        result(a, link(target, hard) != 0 ? -1 : open(hard, O_RDONLY));
    } else if (!strcmp(a, "rename_dir")) {
        char moved[4200];
        snprintf(moved, sizeof moved, "%s.moved", dir);
        result(a, rename(dir, moved) != 0 ? -1 : open(join(moved, join("/", base)), O_RDONLY));
    } else if (!strcmp(a, "openat2")) {
        struct open_how how = { .flags = O_RDONLY };
        result(a, (int)syscall(SYS_openat2, AT_FDCWD, target, &how, sizeof how));
    } else if (!strcmp(a, "mkdir_there")) {
        written(a, mkdir(target, 0755));
    } else if (!strcmp(a, "unlink_gone")) {
        written(a, unlink(target));
    } else if (!strcmp(a, "read_creat")) {
        result(a, open(target, O_RDONLY | O_CREAT, 0644));
    } else if (!strcmp(a, "handle")) {
        struct file_handle *handle = malloc(sizeof *handle + MAX_HANDLE_SZ);
        handle->handle_bytes = MAX_HANDLE_SZ;
        int mount_id;
        int mount_fd = open(dir, O_RDONLY | O_DIRECTORY);   // any fd on the file's mount
        if (name_to_handle_at(AT_FDCWD, target, handle, &mount_id, 0) != 0)
            result(a, -1);
        else
            result(a, open_by_handle_at(mount_fd, handle, O_RDONLY));
    } else if (!strcmp(a, "i386")) {
        result(a, (int)i386_open(O_RDONLY));
    } else if (!strcmp(a, "flip") || !strcmp(a, "write_flip")) {
        int writing = !strcmp(a, "write_flip");
        struct stat before;
        stat(target, &before);
        symlink(decoy, "/tmp/flip");
        pthread_t thread;
        pthread_create(&thread, NULL, flipper, NULL);
        int hits = 0, opened = 0, refused = 0;
        char secret[64] = { 0 };
        for (int i = 0; i < 20000; i++) {
            int fd = open("/tmp/flip", writing ? O_WRONLY | O_APPEND : O_RDONLY);
            if (fd < 0) {
                refused++;   // the flipper had the link on the target, and the open was refused
                continue;
            }
            opened++;
            if (writing) {
                if (write(fd, "X", 1) < 0) {
                }
            } else {
                char buffer[64] = { 0 };
                ssize_t n = read(fd, buffer, sizeof buffer - 1);
                if (n > 0 && strncmp(buffer, "TOPSECRET", 9) == 0) {
                    hits++;
                    snprintf(secret, sizeof secret, "%s", buffer);
                }
            }
            close(fd);
        }
        stop = 1;
        pthread_join(thread, NULL);
        if (writing) {
            struct stat after;
            stat(target, &after);
            printf("%s: %s (%d opens, %d refused)\n", a, after.st_size != before.st_size ? "ok changed" : "unchanged", opened, refused);
        } else {
            secret[strcspn(secret, "\n")] = 0;
            if (hits > 0)
                printf("%s: ok %s (%d of %d opens)\n", a, secret, hits, opened);
            else
                printf("%s: never (%d opens, %d refused)\n", a, opened, refused);
        }
    } else if (!strcmp(a, "write")) {
        written(a, write_to(open(target, O_WRONLY | O_APPEND)));
    } else if (!strcmp(a, "truncate")) {
        written(a, truncate(target, 0));
    } else if (!strcmp(a, "unlink")) {
        written(a, unlink(target));
    } else if (!strcmp(a, "rename_over")) {
        int fd = open(evil(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        if (fd >= 0) {
            if (write(fd, "EVIL\n", 5) < 0) {
            }
            close(fd);
        }
        written(a, rename(evil(), target));
    } else if (!strcmp(a, "rename_dir_write")) {
        char moved[4200];
        snprintf(moved, sizeof moved, "%s.moved", dir);
        written(a, rename(dir, moved) != 0 ? -1 : write_to(open(join(moved, join("/", base)), O_WRONLY | O_APPEND)));
    } else if (!strcmp(a, "rename_away")) {
        written(a, rename(target, join(target, ".moved")));
    } else if (!strcmp(a, "create")) {
        written(a, write_to(open(join(target, "/new"), O_CREAT | O_WRONLY, 0644)));
    } else if (!strcmp(a, "mkdir")) {
        written(a, mkdir(join(target, "/newdir"), 0755));
    } else if (!strcmp(a, "link_into")) {
        int fd = open(evil(), O_CREAT | O_WRONLY, 0644);
        if (fd >= 0)
            close(fd);
        written(a, link(evil(), join(target, "/linked")));
    } else if (!strcmp(a, "write_i386")) {
        written(a, write_to((int)i386_open(O_WRONLY | O_APPEND)));
    } else {
        fprintf(stderr, "file_attack: unknown attack %s\n", a);
        return 2;
    }
    return 0;
}
