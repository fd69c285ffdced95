// The attack on the rule set's courier: an exec session receives PID 1's Landlock rule set on a
// unix datagram socket bound to a random abstract name (@microenforcer-ruleset-session-*), which
// /proc/net/unix shows to every process of the network namespace. This program watches that
// file for such names and sends each one, again and again, a Landlock rule set of its own that
// takes nothing worth having (it handles only MAKE_FIFO), hoping the session receives and applies
// that one instead. The session's socket is connected to PID 1's courier before it is bound, so
// the kernel refuses every such datagram (EPERM).
//
// First, as the control, it does the same to a socket of its own bound without being connected
// (the attack works there). Then it watches for SECONDS seconds and prints one line per send:
// "self <errno>" for the control, "session <name> <errno>" for the others (0: delivered).
//
// usage: forge_ruleset SECONDS
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define PREFIX "@microenforcer-ruleset-session-"

static int forged_ruleset(void)
{
    unsigned long long handled = 1ULL << 10;   // LANDLOCK_ACCESS_FS_MAKE_FIFO
    return (int)syscall(444, &handled, sizeof handled, 0);
}

static socklen_t address(struct sockaddr_un *addr, const char *name)
{
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    size_t len = strlen(name);
    memcpy(addr->sun_path + 1, name, len);
    return (socklen_t)(sizeof(sa_family_t) + 1 + len);
}

static int send_fd(int sender, const char *name, int fd)
{
    struct sockaddr_un addr;
    char byte = 'X';
    struct iovec iov = { &byte, 1 };
    union { char buffer[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = { .msg_name = &addr, .msg_namelen = address(&addr, name), .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = control.buffer, .msg_controllen = sizeof control.buffer };
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
    return sendmsg(sender, &msg, MSG_DONTWAIT) == 1 ? 0 : errno;
}

int main(int argc, char **argv)
{
    int seconds = argc > 1 ? atoi(argv[1]) : 10;
    setvbuf(stdout, NULL, _IOLBF, 0);
    int ruleset = forged_ruleset();
    int sender = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (ruleset < 0 || sender < 0) {
        printf("setup %d\n", errno);
        return 1;
    }

    // The control: a socket bound without a connect accepts the forged rule set.
    char self[64];
    snprintf(self, sizeof self, "microenforcer-ruleset-session-self%d", getpid());
    int victim = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un addr;
    socklen_t len = address(&addr, self);
    if (victim < 0 || bind(victim, (struct sockaddr *)&addr, len) != 0) {
        printf("setup %d\n", errno);
        return 1;
    }
    printf("self %d\n", send_fd(sender, self, ruleset));
    close(victim);

    time_t end = time(NULL) + seconds;
    char line[512];
    while (time(NULL) < end) {
        FILE *table = fopen("/proc/net/unix", "r");
        if (table == NULL)
            continue;
        while (fgets(line, sizeof line, table) != NULL) {
            char *at = strstr(line, PREFIX);
            if (at == NULL || strstr(at, "-self") != NULL)
                continue;
            at[strcspn(at, " \n")] = 0;
            printf("session %s %d\n", at + 1, send_fd(sender, at + 1, ruleset));
        }
        fclose(table);
    }
    return 0;
}
