// The outbound benchmark's client: N short TCP connections to a local server, one after another.
//
//   outbound ADDRESS PORT N   N times: socket, connect (blocking), write a small request, read
//                             the reply to its end (the server closes first), close
//
// Prints the mean nanoseconds per connection of the whole loop on stdout. Every connect is a
// call the network controls judge (and the network gate performs, when one is on); the writes
// and reads are not. Under the enforcer the clock starts once it has hashed the image
// (pid1_hashing.h), as for the OSBench workloads: the steady state.
#define _GNU_SOURCE
#include "pid1_hashing.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char Request[] = "GET / HTTP/1.0\r\nHost: bench\r\n\r\n";
static const char ReplyStart[] = "HTTP/1.0 200";

static void fail(const char *what, long i)
{
    fprintf(stderr, "outbound: connection %ld: %s: %s\n", i, what, strerror(errno));
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: outbound ADDRESS PORT N\n");
        return 2;
    }
    struct sockaddr_in server = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])) };
    if (inet_pton(AF_INET, argv[1], &server.sin_addr) != 1) {
        fprintf(stderr, "outbound: %s is not an IPv4 address\n", argv[1]);
        return 2;
    }
    long n = atol(argv[3]);
    pid1_wait_for_hashing();

    long long start = pid1_now_ns();
    for (long i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            fail("socket", i);
        if (connect(fd, (struct sockaddr *)&server, sizeof server) != 0)
            fail("connect", i);
        if (write(fd, Request, sizeof Request - 1) != (ssize_t)(sizeof Request - 1))
            fail("write", i);
        char reply[256];
        size_t got = 0;
        for (;;) {
            ssize_t r = read(fd, reply + got, sizeof reply - 1 - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                fail("read", i);
            if (r == 0 || (got += (size_t)r) == sizeof reply - 1)
                break;
        }
        if (got < sizeof ReplyStart - 1 || memcmp(reply, ReplyStart, sizeof ReplyStart - 1) != 0) {
            fprintf(stderr, "outbound: connection %ld: the server's reply is not \"%s ...\" (%zu bytes)\n", i, ReplyStart, got);
            return 1;
        }
        close(fd);
    }
    long long elapsed = pid1_now_ns() - start;
    printf("%.1f\n", (double)elapsed / (double)n);
    return 0;
}
