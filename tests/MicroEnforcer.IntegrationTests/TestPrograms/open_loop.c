// The audit sinks' burst: opens (and closes) one file N times, as fast as it can. Under File
// Block in audit mode each open is one "detected" event (no aggregation), so N opens make
// exactly N events.
//
// usage: open_loop PATH N   prints "open_loop: N opens" (or the first error) and exits 0.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: open_loop PATH N\n");
        return 2;
    }
    long n = strtol(argv[2], NULL, 10);
    for (long i = 0; i < n; i++) {
        int fd = open(argv[1], O_RDONLY);
        if (fd < 0) {
            printf("open_loop: open %ld: %s\n", i, strerror(errno));
            return 1;
        }
        close(fd);
    }
    printf("open_loop: %ld opens\n", n);
    return 0;
}
