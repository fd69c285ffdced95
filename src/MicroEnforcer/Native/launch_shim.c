// The part of the launcher that cannot be managed code.
//
// 1. Signals. PID 1 receives the signals it forwards (and SIGCHLD) through a signalfd read by
//    one supervisor thread. That only works if every thread of the process blocks them, and the
//    .NET runtime starts its own threads before Main runs. A constructor runs before the runtime
//    initialises, so the mask it sets is inherited by every thread the runtime ever creates.
//
// 2. The workload child. Between fork() and execve() in a multithreaded process only
//    async-signal-safe code may run, so the child is started here: it resets signal state (as
//    tini does), becomes its own process group, drops CAP_SYS_PTRACE from its bounding set, sets
//    NO_NEW_PRIVS, installs the seccomp filter with a user-notification listener as its very last
//    privileged step, passes the listener to the parent over a socketpair (SCM_RIGHTS: pidfd_getfd
//    is refused under Docker's default seccomp profile without CAP_SYS_PTRACE) and execs.
//
// Child → parent protocol (errpipe is O_CLOEXEC, so EOF means the execve succeeded):
//
//   step                   on failure the child writes         and exits with
//   ---------------------  ----------------------------------  --------------
//   signal/pgrp/cap setup  {ME_STAGE_SETUP,  errno}            ME_CHILD_FAILED
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
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#define ME_SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)   // linux/seccomp.h since 5.19

enum { ME_STAGE_SETUP = 1, ME_STAGE_FILTER = 2, ME_STAGE_HANDOFF = 3, ME_STAGE_EXEC = 4 };
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
    int32_t drop_ptrace_capability;      // 1: PR_CAPBSET_DROP CAP_SYS_PTRACE (ignored without CAP_SETPCAP)
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

static int me_send_fd(int socket, int fd)
{
    char byte = 'L';
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = control.buffer, .msg_controllen = sizeof control.buffer,
    };
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    ssize_t sent;
    do {
        sent = sendmsg(socket, &msg, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    return sent == 1 ? 0 : errno;
}

static __attribute__((noreturn)) void me_child(const struct me_spawn_request *req, int errpipe)
{
    // Only SIG_IGN survives execve, and a mask survives it whole: reset both, as tini does.
    // The raw syscall, because glibc's sigaction refuses signals 32 and 33, and an ignored
    // signal 32 inherited from our own parent (GNU make passes one on) would reach the workload.
    struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } dfl = { SIG_DFL, 0, NULL, 0 };
    for (int sig = 1; sig <= 64; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP)
            syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
    }

    if (req->new_process_group) {
        if (setpgid(0, 0) != 0)
            me_child_fail(errpipe, ME_STAGE_SETUP, errno, ME_CHILD_FAILED);
        // SIGTTOU is still blocked here, which lets a background group take the terminal.
        if (isatty(STDIN_FILENO) && tcsetpgrp(STDIN_FILENO, getpgrp()) != 0 && errno != ENOTTY)
            me_child_fail(errpipe, ME_STAGE_SETUP, errno, ME_CHILD_FAILED);
    }

    // A workload that keeps CAP_SYS_PTRACE could inject code into processes that already passed
    // their exec check, or into PID 1. After execve a root process's permitted set is
    // (inheritable & file inheritable) | (file permitted & bounding) | ambient: the capability
    // goes from all three. The bounding set needs CAP_SETPCAP (PID 1 reports when it is missing).
    if (req->drop_ptrace_capability) {
        prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE, 0, 0, 0);
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
        struct __user_cap_data_struct data[2];
        if (syscall(SYS_capget, &header, data) == 0) {
            data[CAP_SYS_PTRACE / 32].inheritable &= ~(1u << (CAP_SYS_PTRACE % 32));
            syscall(SYS_capset, &header, data);
        }
    }

    // PID 1 made itself non-dumpable, and a fork inherits that until execve. Undo it for the
    // child: PID 1 must read the entrypoint's exec path without CAP_SYS_PTRACE too.
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        me_child_fail(errpipe, ME_STAGE_FILTER, errno, ME_CHILD_FAILED);
    struct sock_fprog prog = {
        .len = (unsigned short)req->filter_len,
        .filter = (struct sock_filter *)req->filter,
    };
    // WAIT_KILLABLE_RECV (Linux 5.19): once PID 1 has received a notification, the caller waits
    // for the answer killably. Otherwise any signal with a handler interrupts the wait, and a
    // notified fork or exec fails with EINTR (no SA_RESTART), which natively they never do:
    // busybox sh dies with "can't fork: Interrupted system call". Older kernels lack the flag.
    long listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                            SECCOMP_FILTER_FLAG_NEW_LISTENER | ME_SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
    if (listener < 0 && errno == EINVAL)
        listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (listener < 0)
        me_child_fail(errpipe, ME_STAGE_FILTER, errno, ME_CHILD_FAILED);

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
    char byte;
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = control.buffer, .msg_controllen = sizeof control.buffer,
    };
    ssize_t received;
    do {
        received = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    } while (received < 0 && errno == EINTR);
    if (received < 0)
        return -errno;
    if (received == 0)
        return -EPIPE;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    if (cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
        return -EPROTO;
    int fd;
    memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
    return fd;
}
