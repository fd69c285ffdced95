// Races on the script a shebang exec runs (issue 12, item 3). The kernel's binfmt_script opens
// the script only to read its "#!" line; the interpreter it starts opens the script again, by
// the name the kernel passes in its argv: "/dev/fd/N" for an fd exec, else the path. What the
// entry check saw, what the kernel read and what the interpreter reads can be three files.
//
//   script_race fd SCRIPT ATTEMPTS
//       fd 5 is SCRIPT (an image script); a second thread keeps dup2-ing a memfd script and
//       SCRIPT onto fd 5 while the main thread calls execveat(5, "", AT_EMPTY_PATH).
//   script_race path SCRIPT ATTEMPTS
//       /tmp/race/a and /tmp/race/b are symlinks to SCRIPT and to a drifted script
//       (/tmp/race/evil.sh); a second thread keeps swapping them (renameat2 RENAME_EXCHANGE)
//       while the main thread calls execve("/tmp/race/a").
//   script_race pathproc SCRIPT ATTEMPTS
//       the same, but the swapping is done by another process, which goes on after the exec.
//
// The payload script has SCRIPT's first line (same interpreter, same shebang argument) and
// exits 42. SCRIPT must exit 0. Each attempt is a fork; its status is counted:
// prints: attempts=N allowed=A refused=R killed=K payload=P other=O
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *script;
static volatile int flipping;
static char payload[512];

static void *dup_flipper(void *arg)
{
    (void)arg;
    flipping = 1;
    for (;;) {
        dup2(7, 5);
        dup2(6, 5);
    }
    return NULL;
}

static void swap_forever(void)
{
    for (;;)
        renameat2(AT_FDCWD, "/tmp/race/a", AT_FDCWD, "/tmp/race/b", RENAME_EXCHANGE);
}

static void *rename_flipper(void *arg)
{
    (void)arg;
    flipping = 1;
    swap_forever();
    return NULL;
}

static void make_payload(void)
{
    char first[256];
    FILE *f = fopen(script, "r");
    if (!f || !fgets(first, sizeof first, f)) {
        perror(script);
        exit(2);
    }
    fclose(f);
    snprintf(payload, sizeof payload, "%sexit 42\n", first);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: script_race fd|path|pathproc SCRIPT ATTEMPTS\n");
        return 2;
    }
    const char *mode = argv[1];
    script = argv[2];
    int attempts = atoi(argv[3]);
    make_payload();
    pid_t swapper = 0;
    if (strcmp(mode, "fd") != 0) {
        mkdir("/tmp/race", 0755);
        int out = open("/tmp/race/evil.sh", O_WRONLY | O_CREAT | O_TRUNC, 0755);
        if (out < 0 || write(out, payload, strlen(payload)) != (ssize_t)strlen(payload)) {
            perror("/tmp/race/evil.sh");
            return 2;
        }
        close(out);
        unlink("/tmp/race/a");
        unlink("/tmp/race/b");
        if (symlink(script, "/tmp/race/a") || symlink("/tmp/race/evil.sh", "/tmp/race/b")) {
            perror("symlink");
            return 2;
        }
        if (strcmp(mode, "pathproc") == 0 && (swapper = fork()) == 0)
            swap_forever();
    }

    int n_allowed = 0, n_refused = 0, n_killed = 0, n_payload = 0, n_other = 0;
    for (int i = 0; i < attempts; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0) {
            char *args[] = { "x", NULL };
            pthread_t thread;
            if (strcmp(mode, "fd") == 0) {
                int image = open(script, O_RDONLY);
                int mem = memfd_create("payload", 0);
                if (image < 0 || mem < 0 || write(mem, payload, strlen(payload)) < 0)
                    _exit(4);
                dup2(image, 6);
                dup2(mem, 7);
                dup2(6, 5);
                pthread_create(&thread, NULL, dup_flipper, NULL);
                while (!flipping)
                    ;
                syscall(SYS_execveat, 5, "", args, environ, AT_EMPTY_PATH);
            } else {
                if (strcmp(mode, "path") == 0) {
                    pthread_create(&thread, NULL, rename_flipper, NULL);
                    while (!flipping)
                        ;
                }
                execve("/tmp/race/a", args, environ);
            }
            _exit(errno == EACCES ? 13 : 3);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            n_allowed++;
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 13)
            n_refused++;
        else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            n_killed++;
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 42)
            n_payload++;
        else
            n_other++;
    }
    if (swapper > 0) {
        kill(swapper, SIGKILL);
        waitpid(swapper, NULL, 0);
    }
    printf("attempts=%d allowed=%d refused=%d killed=%d payload=%d other=%d\n",
           attempts, n_allowed, n_refused, n_killed, n_payload, n_other);
    return 0;
}
