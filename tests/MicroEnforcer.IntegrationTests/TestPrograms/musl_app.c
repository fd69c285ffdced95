// The whole workload of the musl-only test image (built with musl-gcc: dynamically linked, its
// ELF interpreter /lib/ld-musl-x86_64.so.1). It shows that an image binary loaded by musl's
// loader runs under the enforcer, then does the drift scenario itself, as an attacker's code in
// the workload would: it copies its own executable to a new file and executes the copy. The copy
// is told to print a marker, so "the drifted code did not run" is the marker's absence.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char Marker[] = "DRIFTED-CODE-RAN";

static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (out < 0) {
        close(in);
        return -1;
    }
    char buffer[65536];
    ssize_t n;
    while ((n = read(in, buffer, sizeof buffer)) > 0) {
        if (write(out, buffer, (size_t)n) != n) {
            n = -1;
            break;
        }
    }
    close(in);
    return close(out) == 0 && n == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--marker") == 0) {
        puts(Marker);
        return 42;
    }
    const char *copy = argc > 1 ? argv[1] : "/drifted-musl-app";
    printf("musl-app: running from the image\n");
    if (copy_file("/proc/self/exe", copy) != 0) {
        printf("musl-app: copy to %s failed: %s\n", copy, strerror(errno));
        return 1;
    }
    fflush(stdout);
    execl(copy, copy, "--marker", (char *)NULL);
    // Only reached when the exec was refused: the enforcer answers EACCES at syscall entry.
    printf("musl-app: exec %s: %s\n", copy, strerror(errno));
    return 0;
}
