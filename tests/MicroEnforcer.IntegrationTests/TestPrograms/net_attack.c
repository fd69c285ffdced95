// Ways to reach a network endpoint (Port Block, DNS/IP Reputation, Port Scanning Detection):
// each attempt prints one line "MODE ENDPOINT: ok ..." or "MODE ENDPOINT: ENAME ..." (the errno's
// name, e.g. EACCES), ENDPOINT written 127.0.0.1:4444 or [fd66::1]:80. Run natively, each works:
// the tests' control. A HOST with a ':' is IPv6 (AF_INET6), and ::ffff:127.0.0.1 an IPv4-mapped
// address on an AF_INET6 socket.
//
//   net_attack serve PORT...           listens on [::]:PORT (dual stack) for TCP and UDP, prints
//                                      "serve: listening on N ports" once bound, then answers in
//                                      the background (the command returns: the script goes on):
//                                      a TCP client gets "ack DATA", a UDP datagram "ack DATA" (by
//                                      sendmsg with IPV6_PKTINFO: from the address it was sent to)
// Outbound (the line says ok once the call succeeded; UDP ones add "(answered)" when serve's
// answer came back, "(no answer)" when none came in 3 s):
//   connect HOST PORT                  TCP connect on a blocking socket
//   connect_nb HOST PORT               TCP connect on a non-blocking socket, then poll and SO_ERROR:
//                                      "(EINPROGRESS)" or "(immediate)" says which path it took
//   fastopen HOST PORT                 sendto(MSG_FASTOPEN) with the address: connect and send in one
//   udp_sendto HOST PORT               sendto with the address
//   udp_connect_send HOST PORT         connect, then send without an address
//   sendmsg HOST PORT                  sendmsg with msg_name set
//   sendmmsg HOST PORT [HOST2 PORT2]   sendmmsg of two datagrams: the first to HOST2:PORT2 (or
//                                      HOST:PORT), the second to HOST:PORT; says how many were sent
//                                      and which ports answered
//   udp_connect_sendto HOST PORT HOST2 PORT2   connect a UDP socket to HOST2:PORT2, then sendto
//                                      HOST:PORT (the address given to sendto wins over the
//                                      connected peer): net_attack receives on HOST:PORT itself
//                                      and says "(arrived)" or "(did not arrive)"
//   i386 HOST PORT                     connect through int 0x80: socketcall(SYS_CONNECT)
//   i386_direct HOST PORT              connect through int 0x80: the i386 connect syscall (362)
//   i386_sendto HOST PORT              UDP sendto through int 0x80: socketcall(SYS_SENDTO)
//   connect_many HOST PORT COUNT       COUNT TCP connects one after the other: "N ok, M failed"
// Inbound:
//   bind HOST PORT                     TCP bind and listen
//   bind_udp HOST PORT                 UDP bind
//   i386_bind HOST PORT                TCP bind through int 0x80: socketcall(SYS_BIND), then listen
// Races on the address (the address lives in the caller's memory; whoever decides must read it
// once): the address is flipped between ALLOWED and BLOCKED (one field, the port when the hosts
// are the same, else the IPv4 address, so that no torn value exists) while the main thread
// connects (tcp) or sends (udp) 2000 times (and on, up to 50000, until both were hit). net_attack listens on both endpoints itself and
// counts where each call arrived: "MODE PROTO ...: N to the blocked endpoint (A allowed, R
// refused, F failed)". N must be 0 under enforcement; A and R both above 0, or the race did not run.
//   flip_thread tcp|udp ALLOWED_HOST ALLOWED_PORT BLOCKED_HOST BLOCKED_PORT     a second thread flips
//   flip_process tcp|udp ALLOWED_HOST ALLOWED_PORT BLOCKED_HOST BLOCKED_PORT    a second process
//                                      flips, sharing the page (MAP_SHARED, then fork)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/net.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

// At least MIN_FLIPS calls, and on until both endpoints were hit (or the blocked one refused),
// at most MAX_FLIPS: a race that ran proves something only when both sides were hit.
#define MIN_FLIPS 2000
#define MAX_FLIPS 50000

struct endpoint {
    union {
        struct sockaddr sa;
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } addr;
    socklen_t length;
    char text[80];
};

// One write per line: serve (in the background) and the attacks share stdout.
static void say(const char *format, ...)
{
    char line[512];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(line, sizeof line - 1, format, args);
    va_end(args);
    if (n < 0)
        return;
    if (n > (int)sizeof line - 2)
        n = sizeof line - 2;
    line[n++] = '\n';
    if (write(1, line, n) < 0) {
    }
}

static const char *name_of(int error)
{
    const char *name = strerrorname_np(error);
    return name ? name : "E?";
}

static int parse(const char *host, const char *port, struct endpoint *e)
{
    memset(e, 0, sizeof *e);
    int p = atoi(port);
    if (strchr(host, ':')) {
        e->addr.v6.sin6_family = AF_INET6;
        e->addr.v6.sin6_port = htons(p);
        if (inet_pton(AF_INET6, host, &e->addr.v6.sin6_addr) != 1)
            return -1;
        e->length = sizeof e->addr.v6;
        snprintf(e->text, sizeof e->text, "[%s]:%d", host, p);
    } else {
        e->addr.v4.sin_family = AF_INET;
        e->addr.v4.sin_port = htons(p);
        if (inet_pton(AF_INET, host, &e->addr.v4.sin_addr) != 1)
            return -1;
        e->length = sizeof e->addr.v4;
        snprintf(e->text, sizeof e->text, "%s:%d", host, p);
    }
    return 0;
}

static int open_socket(const struct endpoint *e, int type)
{
    int fd = socket(e->addr.sa.sa_family, type, 0);
    if (fd < 0) {
        say("socket: %s", name_of(errno));
        exit(3);
    }
    return fd;
}

// A connection closed with a reset leaves no TIME_WAIT: thousands of connects in a row do not
// run out of local ports.
static void close_now(int fd)
{
    struct linger linger = { .l_onoff = 1, .l_linger = 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
    close(fd);
}

// Waits up to 3 s for serve's answer on a UDP socket; the text says which port it came from.
static const char *answer(int fd, char *from, size_t size)
{
    struct timeval timeout = { .tv_sec = 3 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    char buffer[256];
    struct sockaddr_storage peer;
    socklen_t length = sizeof peer;
    ssize_t n = recvfrom(fd, buffer, sizeof buffer, 0, (struct sockaddr *)&peer, &length);
    if (n < 0)
        return "(no answer)";
    int port = peer.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&peer)->sin_port) : ntohs(((struct sockaddr_in6 *)&peer)->sin6_port);
    if (from)
        snprintf(from, size, "%d", port);
    return "(answered)";
}

static void report(const char *mode, const struct endpoint *e, long rc, const char *detail)
{
    if (rc < 0)
        say("%s %s: %s%s%s", mode, e->text, name_of(errno), detail ? " " : "", detail ? detail : "");
    else
        say("%s %s: ok%s%s", mode, e->text, detail ? " " : "", detail ? detail : "");
}

// ---- serve -------------------------------------------------------------------------------

static int listen_on(int port, int type)
{
    int fd = socket(AF_INET6, type, 0);
    int zero = 0, one = 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (type == SOCK_DGRAM)
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
    struct sockaddr_in6 any = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = in6addr_any };
    if (bind(fd, (struct sockaddr *)&any, sizeof any) != 0 || (type == SOCK_STREAM && listen(fd, 4096) != 0)) {
        say("serve: %s port %d: %s", type == SOCK_STREAM ? "tcp" : "udp", port, name_of(errno));
        exit(1);
    }
    return fd;
}

static int serve(int count, char **ports)
{
    struct pollfd fds[64];
    int n = 0;
    for (int i = 0; i < count && n < 62; i++) {
        fds[n++] = (struct pollfd){ .fd = listen_on(atoi(ports[i]), SOCK_STREAM), .events = POLLIN };
        fds[n++] = (struct pollfd){ .fd = listen_on(atoi(ports[i]), SOCK_DGRAM), .events = POLLIN };
    }
    say("serve: listening on %d ports", count);
    pid_t child = fork();
    if (child != 0)
        return child < 0 ? 1 : 0;   // bound: the script goes on while the child answers
    setsid();
    for (;;) {
        if (poll(fds, n, -1) < 0)
            continue;
        for (int i = 0; i < n; i++) {
            if (!(fds[i].revents & POLLIN))
                continue;
            char buffer[256], reply[300];
            if (i % 2 == 0) {
                int client = accept(fds[i].fd, NULL, NULL);
                if (client < 0)
                    continue;
                // A client that connects and closes (a scan, connect_many) reads as EOF or a
                // reset at once; one that sends gets its answer.
                struct timeval timeout = { .tv_sec = 2 };
                setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
                ssize_t got = read(client, buffer, sizeof buffer - 1);
                if (got > 0) {
                    int r = snprintf(reply, sizeof reply, "ack %.*s", (int)got, buffer);
                    if (write(client, reply, r) < 0) {
                    }
                }
                close(client);
            } else {
                // The answer leaves from the address the datagram came to (IPV6_PKTINFO, v4-mapped
                // for IPv4): a client connected to 127.66.0.1 accepts nothing from 127.0.0.1.
                struct sockaddr_storage peer;
                struct iovec iov = { .iov_base = buffer, .iov_len = sizeof buffer - 1 };
                union {
                    char buffer[CMSG_SPACE(sizeof(struct in6_pktinfo))];
                    struct cmsghdr align;
                } control;
                struct msghdr message = { .msg_name = &peer, .msg_namelen = sizeof peer, .msg_iov = &iov, .msg_iovlen = 1,
                                          .msg_control = control.buffer, .msg_controllen = sizeof control.buffer };
                ssize_t got = recvmsg(fds[i].fd, &message, 0);
                if (got >= 0) {
                    int r = snprintf(reply, sizeof reply, "ack %.*s", (int)got, buffer);
                    iov = (struct iovec){ .iov_base = reply, .iov_len = r };
                    struct cmsghdr *c = CMSG_FIRSTHDR(&message);
                    if (c && c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
                        ((struct in6_pktinfo *)CMSG_DATA(c))->ipi6_ifindex = 0;
                        message.msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
                    } else {
                        message.msg_control = NULL;
                        message.msg_controllen = 0;
                    }
                    message.msg_flags = 0;
                    sendmsg(fds[i].fd, &message, 0);
                }
            }
        }
    }
}

// ---- i386 (int 0x80 from this 64-bit program: the pointers must be below 4 GiB, hence static
// buffers and -no-pie) ----------------------------------------------------------------------

static struct endpoint i386_endpoint;
static unsigned int i386_args[6];
static char i386_payload[] = "i386_sendto";

static long int80(long number, long b, long c, long d)
{
    long rc;
    __asm__ volatile("int $0x80" : "=a"(rc) : "a"(number), "b"(b), "c"(c), "d"(d) : "memory");
    if (rc < 0) {
        errno = (int)-rc;
        return -1;
    }
    return rc;
}

static long socketcall(int call, int fd, unsigned int more1, unsigned int more2, unsigned int more3)
{
    i386_args[0] = (unsigned int)fd;
    i386_args[1] = more1;
    i386_args[2] = more2;
    i386_args[3] = more3;
    i386_args[4] = (unsigned int)(uintptr_t)&i386_endpoint.addr;
    i386_args[5] = i386_endpoint.length;
    return int80(102, call, (long)(uintptr_t)i386_args, 0);
}

// ---- flips -------------------------------------------------------------------------------

struct flip {
    struct endpoint target;          // what the calls use, rewritten by the flipper
    struct endpoint allowed, blocked;
    volatile int stop;
    volatile int running;            // the flipper is flipping: the calls start only then
};

static struct flip *flip;

static void flip_forever(void)
{
    // One field, one store: the port (the hosts are the same), else the IPv4 address.
    int by_port = flip->allowed.addr.sa.sa_family == AF_INET6
        ? 1
        : flip->allowed.addr.v4.sin_addr.s_addr == flip->blocked.addr.v4.sin_addr.s_addr;
    volatile uint16_t *port = flip->target.addr.sa.sa_family == AF_INET6 ? &flip->target.addr.v6.sin6_port : &flip->target.addr.v4.sin_port;
    volatile uint32_t *address = &flip->target.addr.v4.sin_addr.s_addr;
    uint16_t ports[2] = { flip->allowed.addr.v4.sin_port, flip->blocked.addr.v4.sin_port };
    if (flip->allowed.addr.sa.sa_family == AF_INET6) {
        ports[0] = flip->allowed.addr.v6.sin6_port;
        ports[1] = flip->blocked.addr.v6.sin6_port;
    }
    uint32_t addresses[2] = { flip->allowed.addr.v4.sin_addr.s_addr, flip->blocked.addr.v4.sin_addr.s_addr };
    flip->running = 1;
    while (!flip->stop) {
        if (by_port) {
            *port = ports[1];
            *port = ports[0];
        } else {
            *address = addresses[1];
            *address = addresses[0];
        }
    }
}

static void *flip_thread(void *unused)
{
    (void)unused;
    flip_forever();
    return NULL;
}

static int bound(const struct endpoint *e, int type)
{
    int fd = open_socket(e, type | SOCK_NONBLOCK);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (bind(fd, &e->addr.sa, e->length) != 0 || (type == SOCK_STREAM && listen(fd, 4096) != 0)) {
        say("flip: cannot listen on %s: %s", e->text, name_of(errno));
        exit(3);
    }
    return fd;
}

static int same_endpoint(const struct sockaddr_storage *peer, const struct endpoint *e)
{
    if (peer->ss_family != e->addr.sa.sa_family)
        return 0;
    if (peer->ss_family == AF_INET) {
        const struct sockaddr_in *p = (const struct sockaddr_in *)peer;
        return p->sin_port == e->addr.v4.sin_port && p->sin_addr.s_addr == e->addr.v4.sin_addr.s_addr;
    }
    const struct sockaddr_in6 *p = (const struct sockaddr_in6 *)peer;
    return p->sin6_port == e->addr.v6.sin6_port && !memcmp(&p->sin6_addr, &e->addr.v6.sin6_addr, sizeof p->sin6_addr);
}

static int drain(int fd, int type)
{
    int n = 0;
    char buffer[64];
    if (type == SOCK_STREAM) {
        int c;
        while ((c = accept(fd, NULL, NULL)) >= 0) {
            close(c);
            n++;
        }
    } else {
        while (recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) >= 0)
            n++;
    }
    return n;
}

static int flip_race(const char *mode, const char *protocol, char **argv)
{
    flip = mmap(NULL, sizeof *flip, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (flip == MAP_FAILED || parse(argv[0], argv[1], &flip->allowed) != 0 || parse(argv[2], argv[3], &flip->blocked) != 0)
        return 2;
    if (flip->allowed.addr.sa.sa_family != flip->blocked.addr.sa.sa_family ||
        (flip->allowed.addr.sa.sa_family == AF_INET6 && memcmp(&flip->allowed.addr.v6.sin6_addr, &flip->blocked.addr.v6.sin6_addr, 16) != 0) ||
        (flip->allowed.addr.sa.sa_family == AF_INET && flip->allowed.addr.v4.sin_addr.s_addr != flip->blocked.addr.v4.sin_addr.s_addr &&
         flip->allowed.addr.v4.sin_port != flip->blocked.addr.v4.sin_port)) {
        fprintf(stderr, "net_attack: a flip changes one field: the same host (the port flips) or, for IPv4, the same port\n");
        return 2;
    }
    flip->target = flip->allowed;
    int type = !strcmp(protocol, "tcp") ? SOCK_STREAM : SOCK_DGRAM;
    int on_allowed = bound(&flip->allowed, type), on_blocked = bound(&flip->blocked, type);

    pthread_t thread;
    pid_t child = -1;
    if (!strcmp(mode, "flip_thread")) {
        pthread_create(&thread, NULL, flip_thread, NULL);
    } else {
        child = fork();
        if (child == 0) {
            flip_forever();
            _exit(0);
        }
    }

    while (!flip->running)
        sched_yield();
    int reached_blocked = 0, allowed = 0, refused = 0, failed = 0;
    for (int i = 0; i < MAX_FLIPS && (i < MIN_FLIPS || allowed == 0 || reached_blocked + refused == 0); i++) {
        int fd = open_socket(&flip->target, type);
        if (type == SOCK_STREAM) {
            if (connect(fd, &flip->target.addr.sa, flip->target.length) != 0) {
                errno == EACCES ? refused++ : failed++;
            } else {
                struct sockaddr_storage peer;
                socklen_t length = sizeof peer;
                getpeername(fd, (struct sockaddr *)&peer, &length);
                same_endpoint(&peer, &flip->blocked) ? reached_blocked++ : allowed++;
            }
            close_now(fd);
            drain(on_allowed, type);
            drain(on_blocked, type);
        } else {
            if (sendto(fd, "flip", 4, 0, &flip->target.addr.sa, flip->target.length) < 0)
                errno == EACCES ? refused++ : failed++;
            close(fd);
            allowed += drain(on_allowed, type);
            reached_blocked += drain(on_blocked, type);
        }
    }
    flip->stop = 1;
    if (child > 0)
        waitpid(child, NULL, 0);
    else
        pthread_join(thread, NULL);
    if (type == SOCK_DGRAM) {
        // Loopback delivers within the send; a last look for any datagram still queued.
        struct pollfd fds[2] = { { .fd = on_allowed, .events = POLLIN }, { .fd = on_blocked, .events = POLLIN } };
        while (poll(fds, 2, 200) > 0) {
            allowed += drain(on_allowed, type);
            reached_blocked += drain(on_blocked, type);
        }
    }
    say("%s %s %s -> %s: %d to the blocked endpoint (%d allowed, %d refused, %d failed)", mode, protocol,
        flip->allowed.text, flip->blocked.text, reached_blocked, allowed, refused, failed);
    return 0;
}

// ---- hold: a blocking connect that does not complete --------------------------------------

// `hold PORT`: a listener on 127.0.0.1:PORT with a backlog of 0 that never accepts, its queue
// filled, then a child whose blocking connect to it waits (the kernel drops its SYN and retries
// for minutes). Prints "holding PID" once the child is in its connect, and returns: the child
// stays parked there until killed. What else runs meanwhile must not wait for it.
static int hold(const char *port_text)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port_text)) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(listener, (struct sockaddr *)&a, sizeof a) != 0 || listen(listener, 0) != 0) {
        printf("hold: listen: %s\n", strerror(errno));
        return 1;
    }
    for (int i = 0; i < 3; i++) {   // fill the accept queue (backlog 0 holds one, plus the SYN queue's)
        int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(s, (struct sockaddr *)&a, sizeof a);
    }
    usleep(200 * 1000);
    pid_t child = fork();
    if (child == 0) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        int rc = connect(s, (struct sockaddr *)&a, sizeof a);
        printf("hold: the blocking connect returned %d (%s)\n", rc, rc == 0 ? "ok" : strerror(errno));
        _exit(0);
    }
    usleep(300 * 1000);
    printf("holding %d\n", (int)child);
    fflush(stdout);
    return 0;
}

// ---- main --------------------------------------------------------------------------------

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        fprintf(stderr, "usage: net_attack MODE ARGS... (see the source)\n");
        return 2;
    }
    const char *mode = argv[1];
    if (!strcmp(mode, "serve"))
        return serve(argc - 2, argv + 2);
    if (!strcmp(mode, "hold") && argc >= 3)
        return hold(argv[2]);
    if (!strncmp(mode, "flip_", 5)) {
        if (argc < 7)
            return 2;
        return flip_race(mode, argv[2], argv + 3);
    }
    if (argc < 4) {
        fprintf(stderr, "net_attack %s: HOST PORT expected\n", mode);
        return 2;
    }
    struct endpoint e;
    if (parse(argv[2], argv[3], &e) != 0) {
        fprintf(stderr, "net_attack: bad address %s\n", argv[2]);
        return 2;
    }
    const char *payload = mode;
    char detail[128];

    if (!strcmp(mode, "connect")) {
        int fd = open_socket(&e, SOCK_STREAM);
        report(mode, &e, connect(fd, &e.addr.sa, e.length), NULL);
    } else if (!strcmp(mode, "connect_nb")) {
        int fd = open_socket(&e, SOCK_STREAM | SOCK_NONBLOCK);
        if (connect(fd, &e.addr.sa, e.length) == 0) {
            report(mode, &e, 0, "(immediate)");
        } else if (errno != EINPROGRESS) {
            report(mode, &e, -1, "(immediate)");
        } else {
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            int error = 0;
            socklen_t length = sizeof error;
            if (poll(&p, 1, 5000) != 1) {
                errno = ETIMEDOUT;
                report(mode, &e, -1, "(EINPROGRESS, no completion)");
            } else {
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
                errno = error;
                report(mode, &e, error ? -1 : 0, "(EINPROGRESS)");
            }
        }
    } else if (!strcmp(mode, "fastopen")) {
        int fd = open_socket(&e, SOCK_STREAM);
        long rc = sendto(fd, payload, strlen(payload), MSG_FASTOPEN, &e.addr.sa, e.length);
        if (rc >= 0) {
            struct timeval timeout = { .tv_sec = 3 };
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
            char buffer[64];
            report(mode, &e, rc, read(fd, buffer, sizeof buffer) > 0 ? "(answered)" : "(no answer)");
        } else {
            report(mode, &e, rc, NULL);
        }
    } else if (!strcmp(mode, "udp_sendto") || !strcmp(mode, "udp_connect_send") || !strcmp(mode, "sendmsg")) {
        int fd = open_socket(&e, SOCK_DGRAM);
        long rc;
        const char *step = NULL;
        if (!strcmp(mode, "udp_sendto")) {
            rc = sendto(fd, payload, strlen(payload), 0, &e.addr.sa, e.length);
        } else if (!strcmp(mode, "udp_connect_send")) {
            rc = connect(fd, &e.addr.sa, e.length);
            step = "(connect)";
            if (rc == 0) {
                rc = send(fd, payload, strlen(payload), 0);
                step = "(send)";
            }
        } else {
            struct iovec iov = { .iov_base = (void *)payload, .iov_len = strlen(payload) };
            struct msghdr message = { .msg_name = &e.addr, .msg_namelen = e.length, .msg_iov = &iov, .msg_iovlen = 1 };
            rc = sendmsg(fd, &message, 0);
        }
        report(mode, &e, rc, rc < 0 ? step : answer(fd, NULL, 0));
    } else if (!strcmp(mode, "udp_connect_sendto")) {
        struct endpoint peer;
        if (argc < 6 || parse(argv[4], argv[5], &peer) != 0)
            return 2;
        int receiver = open_socket(&e, SOCK_DGRAM), one = 1;
        setsockopt(receiver, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);   // beside serve's [::]:PORT
        if (bind(receiver, &e.addr.sa, e.length) != 0) {
            say("%s: cannot receive on %s: %s", mode, e.text, name_of(errno));
            return 3;
        }
        int fd = open_socket(&e, SOCK_DGRAM);
        long rc = connect(fd, &peer.addr.sa, peer.length);
        if (rc == 0)
            rc = sendto(fd, payload, strlen(payload), 0, &e.addr.sa, e.length);
        struct pollfd p = { .fd = receiver, .events = POLLIN };
        report(mode, &e, rc, rc < 0 ? NULL : poll(&p, 1, 3000) == 1 ? "(arrived)" : "(did not arrive)");
    } else if (!strcmp(mode, "sendmmsg")) {
        struct endpoint first = e;
        if (argc >= 6 && parse(argv[4], argv[5], &first) != 0)
            return 2;
        int fd = open_socket(&e, SOCK_DGRAM);
        struct iovec iov[2] = { { .iov_base = "sendmmsg-1", .iov_len = 10 }, { .iov_base = "sendmmsg-2", .iov_len = 10 } };
        struct mmsghdr messages[2] = {
            { .msg_hdr = { .msg_name = &first.addr, .msg_namelen = first.length, .msg_iov = &iov[0], .msg_iovlen = 1 } },
            { .msg_hdr = { .msg_name = &e.addr, .msg_namelen = e.length, .msg_iov = &iov[1], .msg_iovlen = 1 } },
        };
        int sent = sendmmsg(fd, messages, 2, 0);
        if (sent < 0) {
            report(mode, &e, -1, NULL);
        } else {
            char ports[64] = "", port[16];
            for (int i = 0; i < sent; i++) {
                if (!strcmp(answer(fd, port, sizeof port), "(answered)")) {
                    strncat(ports, " ", sizeof ports - strlen(ports) - 1);
                    strncat(ports, port, sizeof ports - strlen(ports) - 1);
                }
            }
            snprintf(detail, sizeof detail, "(%d sent; answers from:%s)", sent, ports);
            report(mode, &e, 0, detail);
        }
    } else if (!strcmp(mode, "i386") || !strcmp(mode, "i386_direct")) {
        int fd = open_socket(&e, SOCK_STREAM);
        i386_endpoint = e;
        long rc = !strcmp(mode, "i386")
            ? socketcall(SYS_CONNECT, fd, (unsigned int)(uintptr_t)&i386_endpoint.addr, i386_endpoint.length, 0)
            : int80(362, fd, (long)(uintptr_t)&i386_endpoint.addr, i386_endpoint.length);
        report(mode, &e, rc, NULL);
    } else if (!strcmp(mode, "i386_sendto")) {
        int fd = open_socket(&e, SOCK_DGRAM);
        i386_endpoint = e;
        // sendto(fd, buf, len, flags, addr, addrlen): args 4 and 5 are filled by socketcall().
        long rc = socketcall(SYS_SENDTO, fd, (unsigned int)(uintptr_t)i386_payload, strlen(i386_payload), 0);
        report(mode, &e, rc, rc < 0 ? NULL : answer(fd, NULL, 0));
    } else if (!strcmp(mode, "i386_bind")) {
        int fd = open_socket(&e, SOCK_STREAM);
        i386_endpoint = e;
        long rc = socketcall(SYS_BIND, fd, (unsigned int)(uintptr_t)&i386_endpoint.addr, i386_endpoint.length, 0);
        report(mode, &e, rc == 0 ? listen(fd, 16) : rc, NULL);
    } else if (!strcmp(mode, "bind") || !strcmp(mode, "bind_udp")) {
        int udp = !strcmp(mode, "bind_udp");
        int fd = open_socket(&e, udp ? SOCK_DGRAM : SOCK_STREAM);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        long rc = bind(fd, &e.addr.sa, e.length);
        if (rc == 0 && !udp)
            rc = listen(fd, 16);
        report(mode, &e, rc, NULL);
    } else if (!strcmp(mode, "connect_many")) {
        int count = argc > 4 ? atoi(argv[4]) : 1000, ok = 0, failed = 0;
        for (int i = 0; i < count; i++) {
            int fd = open_socket(&e, SOCK_STREAM);
            connect(fd, &e.addr.sa, e.length) == 0 ? ok++ : failed++;
            close_now(fd);
        }
        say("%s %s: %d ok, %d failed", mode, e.text, ok, failed);
    } else {
        fprintf(stderr, "net_attack: unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
