// Exec through the other system call entry points of an x86-64 kernel: the i386 ABI (int 0x80,
// seen by seccomp as AUDIT_ARCH_I386 with execve = 11) and the x32 ABI (syscall with bit 30 set,
// execve = 0x40000000 | 520). A filter that only matched x86-64 numbers would let these through.
// Built -static -no-pie so the path and argv live below 4 GiB, where 32-bit pointers reach.
//
// usage: exec_compat i386|x32 PATH   prints "exec_compat: errno N" and exits 126 (EACCES) or 1.
#include <errno.h>
#include <stdio.h>
#include <string.h>

static char path[256];
static unsigned int argv32[2];
static unsigned long argv64[2];

int main(int argc, char **argv)
{
    if (argc != 3 || strlen(argv[2]) >= sizeof path) {
        fprintf(stderr, "usage: exec_compat i386|x32 PATH\n");
        return 2;
    }
    strcpy(path, argv[2]);
    long ret;
    if (strcmp(argv[1], "i386") == 0) {
        argv32[0] = (unsigned int)(unsigned long)path;
        argv32[1] = 0;
        __asm__ volatile("int $0x80"
                         : "=a"(ret)
                         : "a"(11), "b"((unsigned int)(unsigned long)path), "c"((unsigned int)(unsigned long)argv32), "d"(0)
                         : "memory");
    } else {
        argv64[0] = (unsigned long)path;
        argv64[1] = 0;
        register long r10 __asm__("r10") = 0;
        __asm__ volatile("syscall"
                         : "=a"(ret)
                         : "a"(0x40000000L | 520), "D"(path), "S"(argv64), "d"(0), "r"(r10)
                         : "rcx", "r11", "memory");
    }
    printf("exec_compat: errno %ld\n", -ret);
    return -ret == EACCES ? 126 : 1;
}
