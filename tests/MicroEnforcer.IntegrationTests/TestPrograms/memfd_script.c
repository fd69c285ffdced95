// Regression test from the security review of the launcher (see docs/architecture.md).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
extern char **environ;
int main(int argc, char **argv) {
    int fd = memfd_create("x", 0);
    const char s[] = "#!/bin/sh\necho FILELESS-SCRIPT-RAN\n";
    write(fd, s, sizeof s - 1);
    dup2(fd, 5);
    char *av[] = { "x", NULL };
    if (argc > 1) { syscall(322, fd, "", av, environ, AT_EMPTY_PATH); printf("execveat(memfd, AT_EMPTY_PATH): %s\n", strerror(errno)); return 0; }
    execve("/dev/fd/5", av, environ);
    printf("execve /dev/fd/5: %s\n", strerror(errno));
    return 0;
}
