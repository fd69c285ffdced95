// accept_check: what accept and accept4 return on a non-blocking listener, checked against the
// kernel's own view (Forensics performs accepts in PID 1 and hands the connection over; this
// runs the same with and without it). Listens on 127.0.0.1 (a port the kernel picks), then:
//   1. accept4 with nothing waiting: EAGAIN;
//   2. a client connects; accept4(SOCK_NONBLOCK | SOCK_CLOEXEC) with a full sockaddr buffer: the
//      address and length are the client's (getsockname), the new descriptor has O_NONBLOCK and
//      FD_CLOEXEC, and data goes both ways;
//   3. a second client; accept with a 4-byte buffer: the length says 16 (the full address), the
//      4 bytes written are its start, and the descriptor has neither flag.
// Prints "accept_check: ok" or "accept_check: FAIL what".
#define _GNU_SOURCE   // accept4
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what)
{
    printf("accept_check: FAIL %s (errno %d)\n", what, errno);
    return 1;
}

static int wait_readable(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, 5000) == 1 ? 0 : -1;
}

static int connect_to(const struct sockaddr_in *to, struct sockaddr_in *local)
{
    int c = socket(AF_INET, SOCK_STREAM, 0);
    socklen_t len = sizeof *local;
    if (c < 0 || connect(c, (const struct sockaddr *)to, sizeof *to) != 0 || getsockname(c, (struct sockaddr *)local, &len) != 0)
        return -1;
    return c;
}

int main(void)
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in at = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t atlen = sizeof at;
    if (l < 0 || bind(l, (struct sockaddr *)&at, sizeof at) != 0 || listen(l, 8) != 0 || getsockname(l, (struct sockaddr *)&at, &atlen) != 0)
        return fail("listen");

    if (accept4(l, NULL, NULL, 0) != -1 || errno != EAGAIN)
        return fail("accept4 with nothing waiting did not fail with EAGAIN");

    struct sockaddr_in local;
    int c = connect_to(&at, &local);
    if (c < 0 || wait_readable(l) != 0)
        return fail("connect");
    struct sockaddr_in peer;
    memset(&peer, 0, sizeof peer);
    socklen_t len = sizeof peer;
    int a = accept4(l, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (a < 0)
        return fail("accept4");
    if (len != sizeof peer || peer.sin_family != AF_INET || peer.sin_port != local.sin_port || peer.sin_addr.s_addr != local.sin_addr.s_addr)
        return fail("accept4's address is not the client's");
    if (!(fcntl(a, F_GETFL) & O_NONBLOCK) || !(fcntl(a, F_GETFD) & FD_CLOEXEC))
        return fail("accept4's descriptor lacks O_NONBLOCK or FD_CLOEXEC");
    char buffer[8] = { 0 };
    if (write(c, "ping", 4) != 4 || wait_readable(a) != 0 || read(a, buffer, sizeof buffer) != 4 || memcmp(buffer, "ping", 4) != 0)
        return fail("client to server");
    if (write(a, "pong", 4) != 4 || wait_readable(c) != 0 || read(c, buffer, sizeof buffer) != 4 || memcmp(buffer, "pong", 4) != 0)
        return fail("server to client");

    int c2 = connect_to(&at, &local);
    if (c2 < 0 || wait_readable(l) != 0)
        return fail("second connect");
    unsigned char small[8];
    memset(small, 0xee, sizeof small);
    socklen_t smallLen = 4;
    int a2 = accept(l, (struct sockaddr *)small, &smallLen);
    if (a2 < 0)
        return fail("accept");
    unsigned char expected[4];
    memcpy(expected, &local, 4);
    if (smallLen != sizeof(struct sockaddr_in) || memcmp(small, expected, 4) != 0 || small[4] != 0xee)
        return fail("accept into a short buffer: not truncated as the kernel does");
    if ((fcntl(a2, F_GETFL) & O_NONBLOCK) || (fcntl(a2, F_GETFD) & FD_CLOEXEC))
        return fail("accept's descriptor has O_NONBLOCK or FD_CLOEXEC");
    printf("accept_check: ok\n");
    return 0;
}
