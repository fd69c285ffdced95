// Regression test from the security review of the launcher (see docs/architecture.md).
static long sc(long n, long a, long b, long c) { long r; __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory"); return r; }
__attribute__((force_align_arg_pointer)) void _start(void) {
    char path[] = "/tmp/PWNED"; char msg[] = "pwned via ld.so\n";
    long fd = sc(2, (long)path, 01 | 0100 | 02000, 0644);
    sc(1, fd, (long)msg, sizeof msg - 1);
    sc(1, 1, (long)msg, sizeof msg - 1);
    sc(60, 42, 0, 0);
}
