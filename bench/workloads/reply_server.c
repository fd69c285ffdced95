// The outbound benchmark's server, run by the harness on the host (outside every sandbox and
// enforcer; the sandboxes share the host's network namespace, so they reach it on loopback).
//
//   reply_server   listens on 127.0.0.1, a port the kernel picks, and prints that port; then,
//                  one connection at a time: read the request (to its blank line), write a short
//                  HTTP/1.0 reply, close, until it is killed
//
// The server closes first, so the TIME_WAIT sockets are its own and the client's 20,000
// connections do not run out of ephemeral ports. One connection at a time is all the client
// asks (its connections follow one another), and keeps the server's cost per connection small
// and constant, so what changes between the runs is the client's side. No existing server fits
// as well: nginx would add its own per-connection work to both sides of the ratio.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char Reply[] = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

static void serve(int client)
{
    char request[1024];
    size_t got = 0;
    while (got < sizeof request - 1) {
        ssize_t r = read(client, request + got, sizeof request - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        got += (size_t)r;
        request[got] = '\0';
        if (strstr(request, "\r\n\r\n") != NULL)
            break;
    }
    // A short reply fits the socket buffer: one write. A client gone meanwhile is no concern.
    (void)!write(client, Reply, sizeof Reply - 1);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int on = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t length = sizeof address;
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 128) != 0
        || getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
        perror("reply_server");
        return 1;
    }
    printf("%d\n", ntohs(address.sin_port));
    fflush(stdout);
    for (;;) {
        int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            perror("reply_server: accept");
            return 1;
        }
        serve(client);
        close(client);
    }
}
