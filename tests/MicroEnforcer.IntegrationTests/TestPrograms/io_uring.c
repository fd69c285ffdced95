// Tries each io_uring entry point by raw syscall (no liburing in the image) and prints what the
// kernel answered, one line each: "io_uring_setup=OK" or "io_uring_setup=ENOSYS" (the errno's name).
// Without a filter in the way enter answers OK on the ring, and register ENXIO (no buffers to
// unregister): neither is ENOSYS, which only the filter answers.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *name(int e)
{
    switch (e) {
    case 0: return "OK";
    case ENOSYS: return "ENOSYS";
    case EPERM: return "EPERM";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case ENXIO: return "ENXIO";
    default: return strerror(e);
    }
}

int main(void)
{
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    long ring = syscall(__NR_io_uring_setup, 4, &params);
    printf("io_uring_setup=%s\n", name(ring < 0 ? errno : 0));
    int fd = ring < 0 ? -1 : (int)ring;
    // On a bad fd these answer EBADF when they reach the kernel: only the filter says ENOSYS.
    long entered = syscall(__NR_io_uring_enter, fd, 0, 0, 0, NULL, 0);
    printf("io_uring_enter=%s\n", name(entered < 0 ? errno : 0));
    long registered = syscall(__NR_io_uring_register, fd, IORING_UNREGISTER_BUFFERS, NULL, 0);
    printf("io_uring_register=%s\n", name(registered < 0 ? errno : 0));
    return 0;
}
