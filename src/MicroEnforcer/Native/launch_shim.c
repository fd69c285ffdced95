// The part of the launcher that cannot be managed code.
//
// (Exec sessions, at the end of this file, share the child's steps: the capability drop, the
// Landlock rule set, the filter, the listener hand-off. Sessions seized by ptrace are made to run
// the same steps by Ptrace/FilterInjection.cs, and fetch the rule set from PID 1's courier, the
// last section of this file.)
//
// 1. Signals. PID 1 receives the signals it forwards (and SIGCHLD) through a signalfd read by
//    one supervisor thread. That only works if every thread of the process blocks them, and the
//    .NET runtime starts its own threads before Main runs. A constructor runs before the runtime
//    initialises, so the mask it sets is inherited by every thread the runtime ever creates.
//
// 2. The workload child. Between fork() and execve() in a multithreaded process only
//    async-signal-safe code may run, so the child is started here: it resets signal state (as
//    tini does), becomes its own process group, drops CAP_SYS_PTRACE and the capabilities the
//    policy blocks (Capabilities Block) from all its capability sets, sets NO_NEW_PRIVS, restricts
//    itself with the policy's Landlock rule set (File Block, Read-Only, Package Block), installs the seccomp filter with a user-notification listener as its very last
//    privileged step, passes the listener to the parent over a socketpair (SCM_RIGHTS: pidfd_getfd
//    is refused under Docker's default seccomp profile without CAP_SYS_PTRACE) and execs.
//
// Child → parent protocol (errpipe is O_CLOEXEC, so EOF means the execve succeeded):
//
//   step                   on failure the child writes         and exits with
//   ---------------------  ----------------------------------  --------------
//   signal/pgrp setup      {ME_STAGE_SETUP,  errno}            ME_CHILD_FAILED
//   capability drop        {ME_STAGE_CAPABILITIES, errno}      ME_CHILD_FAILED
//   landlock rule set      {ME_STAGE_FILES, errno}             ME_CHILD_FAILED
//   no_new_privs + filter  {ME_STAGE_FILTER, errno}            ME_CHILD_FAILED
//   SCM_RIGHTS hand-off    {ME_STAGE_HANDOFF, errno}           ME_CHILD_FAILED
//   execvp                 {ME_STAGE_EXEC,   errno}            127 / 126
//
// The listener socket carries exactly one message: one byte with the listener fd attached.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define ME_SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)   // linux/seccomp.h since 5.19

enum { ME_STAGE_SETUP = 1, ME_STAGE_FILTER = 2, ME_STAGE_HANDOFF = 3, ME_STAGE_EXEC = 4, ME_STAGE_CAPABILITIES = 5, ME_STAGE_FILES = 6 };

#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif
enum { ME_CHILD_FAILED = 71 };

// Signals the launcher handles itself. Kept in step with SupervisedSignals.cs: every signal but
// the synchronous ones (PID 1's own faults), SIGKILL/SIGSTOP, glibc's 32/33 and SIGRTMIN (34),
// which the .NET runtime uses to suspend threads for the GC.
static const int me_handled_signals[] = {
    SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGCHLD, SIGCONT, SIGTSTP,
    SIGTTIN, SIGTTOU, SIGURG, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPWR,
};

static void me_handled_set(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < sizeof me_handled_signals / sizeof me_handled_signals[0]; i++)
        sigaddset(set, me_handled_signals[i]);
    for (int sig = 35; sig <= 64; sig++)
        sigaddset(set, sig);
}

__attribute__((constructor)) static void me_block_handled_signals(void)
{
    sigset_t set;
    me_handled_set(&set);
    sigprocmask(SIG_BLOCK, &set, NULL);
    // Not dumpable: a workload with PID 1's credentials could otherwise ptrace it, take the
    // seccomp listener with pidfd_getfd and answer its own execs. This also keeps /proc/1
    // private. (execve resets it, so the workload itself is not affected.)
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

// Undoes the constructor in the calling thread, for subcommands that are not a supervisor.
int me_unblock_handled_signals(void)
{
    sigset_t set;
    me_handled_set(&set);
    return sigprocmask(SIG_UNBLOCK, &set, NULL) == 0 ? 0 : errno;
}

struct me_spawn_request {
    const char *file;                    // argv[0], looked up in PATH like execvp
    char *const *argv;
    const struct sock_filter *filter;
    uint32_t filter_len;
    int32_t handoff_socket;              // child's end of the socketpair
    int32_t new_process_group;           // 1: setpgid(0, 0) and take the terminal if any
    int32_t drop_ptrace_capability;      // 1: drop CAP_SYS_PTRACE (left in the bounding set without CAP_SETPCAP)
    uint64_t drop_capabilities;          // by number: dropped from every set, or the child fails
    int32_t landlock_ruleset;            // -1: none; else the child restricts itself with it
};

struct me_child_failure {
    int32_t stage;
    int32_t error;
};

static __attribute__((noreturn)) void me_child_fail(int errpipe, int stage, int error, int status)
{
    struct me_child_failure failure = { stage, error };
    ssize_t ignored = write(errpipe, &failure, sizeof failure);
    (void)ignored;
    _exit(status);
}

// The one-byte message that carries an fd (SCM_RIGHTS), the same shape sent and received.
struct me_fd_message {
    char byte;
    struct iovec iov;
    struct msghdr msg;
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;   // last: CMSG_SPACE is not a constant expression to clang
};

static void me_fd_message_init(struct me_fd_message *m)
{
    memset(m, 0, sizeof *m);
    m->byte = 'L';
    m->iov.iov_base = &m->byte;
    m->iov.iov_len = 1;
    m->msg.msg_iov = &m->iov;
    m->msg.msg_iovlen = 1;
    m->msg.msg_control = m->control.buffer;
    m->msg.msg_controllen = sizeof m->control.buffer;
}

// The flags of the hand-off's sendmsg, which the filter lets through unnotified (see
// NetworkGate.HandOffFlags): the listener is sent after the filter is installed, and PID 1 cannot
// answer a notification before it holds the listener. MSG_PROBE is what makes the exemption
// harmless: an Internet datagram or raw socket given it sends nothing (ip_make_skb,
// ip6_append_data, raw_send_hdrinc), and TCP ignores msg_name without MSG_FASTOPEN. A unix
// socket ignores it.
#define ME_MSG_PROBE 0x10   // the kernel's MSG_PROBE; glibc calls it MSG_PROXY
#define ME_HANDOFF_FLAGS (MSG_NOSIGNAL | ME_MSG_PROBE)

static int me_send_fd(int socket, int fd)
{
    struct me_fd_message m;
    me_fd_message_init(&m);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&m.msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    ssize_t sent;
    do {
        sent = sendmsg(socket, &m.msg, ME_HANDOFF_FLAGS);
    } while (sent < 0 && errno == EINTR);
    return sent == 1 ? 0 : errno;
}

// Only SIG_IGN survives execve, and a mask survives it whole: reset both, as tini does.
// The raw syscall, because glibc's sigaction refuses signals 32 and 33, and an ignored
// signal 32 inherited from our own parent (GNU make passes one on) would reach the workload.
static void me_reset_signal_dispositions(void)
{
    struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } dfl = { SIG_DFL, 0, NULL, 0 };
    for (int sig = 1; sig <= 64; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP)
            syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
    }
}

// Takes the capabilities in `drop` from all five sets; returns 0 or an errno.
// After execve a process's permitted set is (inheritable & file inheritable) | (file permitted &
// bounding) | ambient, where a root process counts every file capability as set: a capability
// goes from each term, and from permitted and effective now. NO_NEW_PRIVS (set next) then keeps
// execve from giving back anything permitted lacks, setuid root or not.
// Dropping from the bounding set needs CAP_SETPCAP. A capability of `required` (the policy's)
// that stays there fails the launch; CAP_SYS_PTRACE is dropped as far as possible (a workload
// that keeps it could inject code into processes that passed their exec check, or into PID 1;
// PID 1 warns at start when CAP_SETPCAP is missing). A capability this kernel does not know
// (PR_CAPBSET_READ: EINVAL) nothing can hold. Ambient capabilities must stay both permitted and
// inheritable, so capset would lower them too: they are lowered first, one by one, the others kept.
static int me_drop_capabilities(uint64_t drop, uint64_t required)
{
    for (int cap = 0; cap < 64; cap++) {
        uint64_t bit = 1ULL << cap;
        if ((drop & bit) == 0)
            continue;
        int in_bounding = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (in_bounding < 0) {
            drop &= ~bit;
            continue;
        }
        if (in_bounding == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && (required & bit) != 0)
            return errno;
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, cap, 0, 0);
    }
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0)
        return required != 0 ? errno : 0;
    for (int i = 0; i < 2; i++) {
        uint32_t keep = ~(uint32_t)(drop >> (32 * i));
        data[i].effective &= keep;
        data[i].permitted &= keep;
        data[i].inheritable &= keep;
    }
    if (syscall(SYS_capset, &header, data) != 0 && required != 0)
        return errno;
    return 0;
}

#define ME_PTRACE_CAPABILITY (1ULL << CAP_SYS_PTRACE)

// NO_NEW_PRIVS (Landlock requires it, or CAP_SYS_ADMIN), then the rule set. 0 or an errno.
// After the capability drop and before the filter: landlock_restrict_self is not notified, and
// nothing of the process's own has run yet.
static int me_restrict_files(int ruleset)
{
    if (ruleset < 0)
        return 0;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return errno;
    return syscall(SYS_landlock_restrict_self, ruleset, 0) == 0 ? 0 : errno;
}

// NO_NEW_PRIVS, then the filter with a listener. Returns the listener, or -errno.
// WAIT_KILLABLE_RECV (Linux 5.19): once PID 1 has received a notification, the caller waits
// for the answer killably. Otherwise any signal with a handler interrupts the wait, and a
// notified fork or exec fails with EINTR (no SA_RESTART), which natively they never do:
// busybox sh dies with "can't fork: Interrupted system call". Older kernels lack the flag.
static long me_install_filter(const struct sock_filter *filter, uint32_t filter_len)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -errno;
    struct sock_fprog prog = { .len = (unsigned short)filter_len, .filter = (struct sock_filter *)filter };
    long listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                            SECCOMP_FILTER_FLAG_NEW_LISTENER | ME_SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
    if (listener < 0 && errno == EINVAL)
        listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    return listener < 0 ? -errno : listener;
}

static __attribute__((noreturn)) void me_child(const struct me_spawn_request *req, int errpipe)
{
    me_reset_signal_dispositions();

    if (req->new_process_group) {
        if (setpgid(0, 0) != 0)
            me_child_fail(errpipe, ME_STAGE_SETUP, errno, ME_CHILD_FAILED);
        // SIGTTOU is still blocked here, which lets a background group take the terminal.
        if (isatty(STDIN_FILENO) && tcsetpgrp(STDIN_FILENO, getpgrp()) != 0 && errno != ENOTTY)
            me_child_fail(errpipe, ME_STAGE_SETUP, errno, ME_CHILD_FAILED);
    }

    int cap_error = me_drop_capabilities(req->drop_capabilities | (req->drop_ptrace_capability ? ME_PTRACE_CAPABILITY : 0),
                                         req->drop_capabilities);
    if (cap_error != 0)
        me_child_fail(errpipe, ME_STAGE_CAPABILITIES, cap_error, ME_CHILD_FAILED);

    // PID 1 made itself non-dumpable, and a fork inherits that until execve. Undo it for the
    // child: PID 1 must read the entrypoint's exec path without CAP_SYS_PTRACE too.
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);

    int files_error = me_restrict_files(req->landlock_ruleset);
    if (files_error != 0)
        me_child_fail(errpipe, ME_STAGE_FILES, files_error, ME_CHILD_FAILED);
    if (req->landlock_ruleset >= 0)
        close(req->landlock_ruleset);

    long listener = me_install_filter(req->filter, req->filter_len);
    if (listener < 0)
        me_child_fail(errpipe, ME_STAGE_FILTER, (int)-listener, ME_CHILD_FAILED);

    int error = me_send_fd(req->handoff_socket, (int)listener);
    if (error != 0)
        me_child_fail(errpipe, ME_STAGE_HANDOFF, error, ME_CHILD_FAILED);
    close((int)listener);
    close(req->handoff_socket);

    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);

    execvp(req->file, req->argv);
    int exec_error = errno;
    me_child_fail(errpipe, ME_STAGE_EXEC, exec_error, exec_error == ENOENT ? 127 : 126);
}

// Starts the workload. Returns 0 and sets *child_pid and *errpipe_read (O_CLOEXEC; the caller
// reads one me_child_failure from it, or EOF once the workload's execve succeeded), or an errno.
int me_spawn_workload(const struct me_spawn_request *req, int32_t *child_pid, int32_t *errpipe_read)
{
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) != 0)
        return errno;
    pid_t pid = fork();
    if (pid < 0) {
        int error = errno;
        close(errpipe[0]);
        close(errpipe[1]);
        return error;
    }
    if (pid == 0) {
        close(errpipe[0]);
        me_child(req, errpipe[1]);
    }
    close(errpipe[1]);
    *child_pid = pid;
    *errpipe_read = errpipe[0];
    return 0;
}

// Receives the listener fd sent by me_send_fd. Returns the fd, or -errno; -EPIPE when the child
// closed the socket without sending (it failed before the hand-off and says why on errpipe).
int me_receive_fd(int socket)
{
    struct me_fd_message m;
    me_fd_message_init(&m);
    ssize_t received;
    do {
        received = recvmsg(socket, &m.msg, MSG_CMSG_CLOEXEC);
    } while (received < 0 && errno == EINTR);
    if (received < 0)
        return -errno;
    if (received == 0)
        return -EPIPE;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&m.msg);
    if (cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
        return -EPROTO;
    int fd;
    memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
    return fd;
}

// ---------------------------------------------------------------------------------------------
// Exec sessions: `microenforcer exec -- CMD` joins the enforcement of the container's PID 1.
//
// PID 1 serves a SOCK_SEQPACKET socket in the abstract namespace, named after its pid namespace
// (abstract names are per network namespace, which the containers of a pod share). A client:
//   1. connects, and checks with SO_PEERCRED that the server is PID 1 of its own pid namespace
//      (a process of another container would show as pid 0, anyone else as another pid);
//   2. receives the filter: "MEF3", a u32 instruction count, the u64 mask of capabilities to drop
//      (Capabilities Block), the instructions, and attached (SCM_RIGHTS) the Landlock rule set when
//      the policy restricts files (File Block, Read-Only, Package Block); or a refusal (a session control refuses the
//      session): "MER1", a u32 byte count, the reason in UTF-8, after which it runs nothing and
//      reports the reason;
//   3. drops CAP_SYS_PTRACE and those capabilities (or fails: nothing of CMD runs), sets
//      NO_NEW_PRIVS, restricts itself with the rule set, installs the filter with a listener;
//   4. sends the listener (SCM_RIGHTS), and waits for PID 1's one-byte 'K': PID 1 is receiving;
//   5. resets signal state and execs CMD, an exec PID 1 already decides.
// Nothing of the caller's runs before step 5, so a session joined this way has no window.


#define ME_FILTER_MAGIC 0x3346454dU    // "MEF3"
#define ME_FILTER_HEADER 16
#define ME_REFUSAL_MAGIC 0x3152454dU   // "MER1"
#define ME_MAX_FILTER 4096
#define ME_MAX_REFUSAL 255

enum { ME_JOIN_CONNECT = 1, ME_JOIN_PEER = 2, ME_JOIN_PROTOCOL = 3, ME_JOIN_FILTER = 4, ME_JOIN_HANDOFF = 5, ME_JOIN_EXEC = 6,
       ME_JOIN_CAPABILITIES = 7, ME_JOIN_REFUSED = 8, ME_JOIN_FILES = 9 };

static socklen_t me_abstract_address(struct sockaddr_un *addr, const char *name, int name_len)
{
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    if (name_len > (int)sizeof addr->sun_path - 1)
        name_len = (int)sizeof addr->sun_path - 1;
    memcpy(addr->sun_path + 1, name, (size_t)name_len);   // sun_path[0] == 0: abstract
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)name_len);
}

static void me_set_timeout(int fd, int seconds)
{
    struct timeval timeout = { seconds, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
}

// A unix socket of `type` bound to the abstract `name`, or -errno.
static int me_abstract_socket(int type, const char *name, int name_len)
{
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct sockaddr_un addr;
    socklen_t len = me_abstract_address(&addr, name, name_len);
    if (bind(fd, (struct sockaddr *)&addr, len) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

// Server: a listening socket, or -errno.
int me_session_listen(const char *name, int name_len)
{
    int fd = me_abstract_socket(SOCK_SEQPACKET, name, name_len);
    if (fd >= 0 && listen(fd, 16) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

// Server: the next connection (with send/receive timeouts), its peer's pid in *peer_pid (0 when
// the peer is outside our pid namespace); or -errno.
int me_session_accept(int listening, int32_t *peer_pid)
{
    int fd;
    do {
        fd = accept4(listening, NULL, NULL, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -errno;
    struct ucred cred;
    socklen_t len = sizeof cred;
    *peer_pid = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.pid : 0;
    me_set_timeout(fd, 5);
    return fd;
}

// Server: sends the filter message, with the rule set attached unless it is -1. 0 or an errno.
int me_session_send_filter(int fd, const struct sock_filter *filter, uint32_t filter_len, uint64_t drop_capabilities, int ruleset)
{
    size_t size = ME_FILTER_HEADER + (size_t)filter_len * sizeof *filter;
    unsigned char *message = malloc(size);
    if (message == NULL)
        return ENOMEM;
    uint32_t header[2] = { ME_FILTER_MAGIC, filter_len };
    memcpy(message, header, sizeof header);
    memcpy(message + 8, &drop_capabilities, sizeof drop_capabilities);
    memcpy(message + ME_FILTER_HEADER, filter, (size_t)filter_len * sizeof *filter);
    struct iovec iov = { message, size };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    if (ruleset >= 0) {
        memset(&control, 0, sizeof control);
        msg.msg_control = control.buffer;
        msg.msg_controllen = sizeof control.buffer;
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &ruleset, sizeof(int));
    }
    ssize_t sent;
    do {
        sent = sendmsg(fd, &msg, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    int error = sent == (ssize_t)size ? 0 : (sent < 0 ? errno : EMSGSIZE);
    free(message);
    return error;
}

// Server: the refusal message, instead of the filter. 0 or an errno.
int me_session_refuse(int fd, const char *reason, uint32_t reason_len)
{
    unsigned char message[8 + ME_MAX_REFUSAL];
    if (reason_len > ME_MAX_REFUSAL)
        reason_len = ME_MAX_REFUSAL;
    uint32_t header[2] = { ME_REFUSAL_MAGIC, reason_len };
    memcpy(message, header, sizeof header);
    memcpy(message + 8, reason, reason_len);
    ssize_t sent;
    do {
        sent = send(fd, message, 8 + (size_t)reason_len, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    return sent == (ssize_t)(8 + reason_len) ? 0 : (sent < 0 ? errno : EMSGSIZE);
}

// Server: the one-byte acknowledgement. 0 or an errno.
int me_session_acknowledge(int fd)
{
    char ok = 'K';
    return send(fd, &ok, 1, MSG_NOSIGNAL) == 1 ? 0 : errno;
}

struct me_join_failure {
    int32_t stage;
    int32_t error;
    int32_t peer_pid;
    char reason[ME_MAX_REFUSAL + 1];   // ME_JOIN_REFUSED: PID 1's reason, NUL-terminated
};

// Client: steps 1-5 above. Returns only on failure, with the stage and errno in *failure.
void me_join_session_and_exec(const char *name, int name_len, const char *file, char *const *argv,
                              struct me_join_failure *failure)
{
    failure->peer_pid = -1;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        failure->stage = ME_JOIN_CONNECT;
        failure->error = errno;
        return;
    }
    struct sockaddr_un addr;
    socklen_t len = me_abstract_address(&addr, name, name_len);
    if (connect(fd, (struct sockaddr *)&addr, len) != 0) {
        failure->stage = ME_JOIN_CONNECT;
        failure->error = errno;
        close(fd);
        return;
    }
    me_set_timeout(fd, 10);

    struct ucred cred;
    socklen_t cred_len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) != 0 || cred.pid != 1) {
        failure->stage = ME_JOIN_PEER;
        failure->error = EPERM;
        failure->peer_pid = cred_len == sizeof cred ? cred.pid : -1;
        close(fd);
        return;
    }

    size_t capacity = ME_FILTER_HEADER + ME_MAX_FILTER * sizeof(struct sock_filter);
    unsigned char *message = malloc(capacity);
    struct iovec iov = { message, capacity };
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buffer, .msg_controllen = sizeof control.buffer };
    ssize_t got = message == NULL ? -1 : recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    int ruleset = -1;
    struct cmsghdr *cmsg = got > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
    if (cmsg != NULL && cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS && cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
        memcpy(&ruleset, CMSG_DATA(cmsg), sizeof ruleset);
    uint32_t header[2] = { 0, 0 };
    uint64_t drop_capabilities = 0;
    if (got >= 8)
        memcpy(header, message, sizeof header);
    if (ruleset >= 0 && (msg.msg_flags & MSG_CTRUNC) != 0) {
        close(ruleset);
        ruleset = -1;
        got = -1;
        errno = EPROTO;
    }
    if (got >= 8 && header[0] == ME_REFUSAL_MAGIC && header[1] <= ME_MAX_REFUSAL && (size_t)got == 8 + header[1]) {
        failure->stage = ME_JOIN_REFUSED;
        failure->error = EACCES;
        memcpy(failure->reason, message + 8, header[1]);
        failure->reason[header[1]] = 0;
        free(message);
        close(fd);
        if (ruleset >= 0)
            close(ruleset);
        return;
    }
    if (got >= ME_FILTER_HEADER)
        memcpy(&drop_capabilities, message + 8, sizeof drop_capabilities);
    if (got < ME_FILTER_HEADER || header[0] != ME_FILTER_MAGIC || header[1] == 0 || header[1] > ME_MAX_FILTER ||
        (size_t)got != ME_FILTER_HEADER + header[1] * sizeof(struct sock_filter)) {
        failure->stage = ME_JOIN_PROTOCOL;
        failure->error = got < 0 ? errno : EPROTO;
        free(message);
        close(fd);
        if (ruleset >= 0)
            close(ruleset);
        return;
    }

    int cap_error = me_drop_capabilities(drop_capabilities | ME_PTRACE_CAPABILITY, drop_capabilities);
    if (cap_error != 0) {
        failure->stage = ME_JOIN_CAPABILITIES;
        failure->error = cap_error;
        free(message);
        close(fd);
        if (ruleset >= 0)
            close(ruleset);
        return;
    }
    int files_error = me_restrict_files(ruleset);
    if (ruleset >= 0)
        close(ruleset);
    if (files_error != 0) {
        failure->stage = ME_JOIN_FILES;
        failure->error = files_error;
        free(message);
        close(fd);
        return;
    }
    long listener = me_install_filter((const struct sock_filter *)(message + ME_FILTER_HEADER), header[1]);
    free(message);
    if (listener < 0) {
        failure->stage = ME_JOIN_FILTER;
        failure->error = (int)-listener;
        close(fd);
        return;
    }
    int error = me_send_fd(fd, (int)listener);
    char ack = 0;
    if (error == 0 && recv(fd, &ack, 1, 0) != 1)
        error = errno != 0 ? errno : EPROTO;
    close((int)listener);
    close(fd);
    if (error != 0 || ack != 'K') {
        // The filter is installed, and its listener is closed here: if PID 1 did not take it,
        // every notified call now fails. That is the closed side to fail on.
        failure->stage = ME_JOIN_HANDOFF;
        failure->error = error != 0 ? error : EPROTO;
        return;
    }

    me_reset_signal_dispositions();
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    execvp(file, argv);
    failure->stage = ME_JOIN_EXEC;
    failure->error = errno;
}

// ---------------------------------------------------------------------------------------------
// Exec sessions seized by ptrace (podman exec, kubectl exec without the wrapper) get the Landlock
// rule set through a datagram (see Ptrace/FilterInjection.cs): ptrace can make the session call
// anything but cannot put a descriptor into its table, and a unix socket can. PID 1's courier is
// a SOCK_DGRAM socket bound to a random abstract name A; the session, made to run syscalls by the
// tracer, creates a socket, connects it to A (first: a connected unix datagram socket accepts
// datagrams only from its peer, af_unix.c unix_may_send, so nobody else can queue a descriptor on
// it), binds it to a fresh random name B, and receives the one datagram the courier sends to B.

// Server: the courier socket bound to the abstract `name`, or -errno. Its reading side is shut:
// nobody may queue datagrams (and descriptors in flight) on a socket PID 1 never reads
// (unix_dgram_sendmsg: EPIPE). The session's connect to it is not affected.
int me_courier_bind(const char *name, int name_len)
{
    int fd = me_abstract_socket(SOCK_DGRAM, name, name_len);
    if (fd >= 0 && shutdown(fd, SHUT_RD) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

// Server: one datagram (one byte, `fd` attached) from the courier to the abstract `name`, without
// waiting: the receiving socket is new and empty. 0 or an errno (EPERM: it is connected to
// another socket than the courier, so not the session's as the tracer made it).
int me_courier_send(int courier, const char *name, int name_len, int fd)
{
    struct me_fd_message m;
    me_fd_message_init(&m);
    struct sockaddr_un addr;
    m.msg.msg_name = &addr;
    m.msg.msg_namelen = me_abstract_address(&addr, name, name_len);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&m.msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    ssize_t sent;
    do {
        sent = sendmsg(courier, &m.msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (sent < 0 && errno == EINTR);
    return sent == 1 ? 0 : (sent < 0 ? errno : EMSGSIZE);
}
