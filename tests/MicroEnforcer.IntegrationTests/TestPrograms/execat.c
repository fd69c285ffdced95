// Exec by the routes a shell does not take.
//   execat dirfd DIR NAME    execveat(open(DIR), NAME, ...)
//   execat fd PATH           execveat(open(PATH), "", ..., AT_EMPTY_PATH)   (fexecve)
//   execat procfd PATH       execve("/proc/self/fd/N") of open(PATH)
//   execat selfexe           execve("/proc/self/exe"): re-exec of itself, which prints "reexec-ok"
// On failure prints "execat: <strerror>" and exits 126 for EACCES, 127 otherwise.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
    char *args[] = { "hello", NULL };
    if (strcmp(argv[0], "execat-reexec") == 0) {
        puts("reexec-ok");
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "selfexe") == 0) {
        char *self[] = { "execat-reexec", NULL };
        execve("/proc/self/exe", self, environ);
    } else if (argc == 4 && strcmp(argv[1], "dirfd") == 0) {
        int dir = open(argv[2], O_RDONLY | O_DIRECTORY);
        syscall(SYS_execveat, dir, argv[3], args, environ, 0);
    } else if (argc == 3 && strcmp(argv[1], "fd") == 0) {
        int fd = open(argv[2], O_RDONLY);
        syscall(SYS_execveat, fd, "", args, environ, AT_EMPTY_PATH);
    } else if (argc == 3 && strcmp(argv[1], "procfd") == 0) {
        int fd = open(argv[2], O_RDONLY);
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        execve(path, args, environ);
    } else {
        fprintf(stderr, "usage: execat dirfd DIR NAME | fd PATH | procfd PATH\n");
        return 2;
    }
    int error = errno;
    fprintf(stderr, "execat: %s\n", strerror(error));
    return error == EACCES ? 126 : 127;
}
