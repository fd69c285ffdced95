// Puts a connected TCP socket on fd 0 by one route, the way interpreter one-liners do. Built into
// the image under an interpreter's name (python-sim: matches "python*"), so the reverse-shell
// control treats it as one. Prints "stdio_socket ROUTE: ok" or the errno's text; exits 0 or 1.
// usage: python-sim dup|dup2|dup3|fcntl|connect HOST PORT
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: python-sim dup|dup2|dup3|fcntl|connect HOST PORT\n");
        return 2;
    }
    const char *route = argv[1];
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[3])) };
    inet_pton(AF_INET, argv[2], &addr.sin_addr);
    int rc;
    if (strcmp(route, "connect") == 0) {
        close(0);
        int s = socket(AF_INET, SOCK_STREAM, 0);   // lands on fd 0
        if (s != 0) { fprintf(stderr, "socket got fd %d\n", s); return 2; }
        rc = connect(0, (struct sockaddr *)&addr, sizeof addr);
    } else {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(s, (struct sockaddr *)&addr, sizeof addr) != 0) { perror("connect"); return 2; }
        if (strcmp(route, "dup2") == 0)
            rc = dup2(s, 0);
        else if (strcmp(route, "dup3") == 0)
            rc = dup3(s, 0, 0);
        else if (strcmp(route, "dup") == 0) {
            close(0);
            rc = dup(s);
        } else {
            close(0);
            rc = fcntl(s, F_DUPFD, 0);
        }
    }
    if (rc < 0) {
        printf("stdio_socket %s: %s\n", route, strerror(errno));
        return 1;
    }
    printf("stdio_socket %s: ok\n", route);
    return 0;
}
