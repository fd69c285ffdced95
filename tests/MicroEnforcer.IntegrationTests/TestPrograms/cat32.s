# An i386 program with no libc that copies /etc/shadow to stdout through int 0x80 (open, read,
# write), and exits with the open's or read's errno when one fails. Built with `as --32` and
# `ld -m elf_i386`. As an exec session's first program it is a compat image, whose filter and
# Landlock rule set PID 1 cannot inject: with files restricted it must not run at all.
.globl _start
_start:
    movl $5, %eax           # open("/etc/shadow", O_RDONLY)
    movl $path, %ebx
    xorl %ecx, %ecx
    int $0x80
    testl %eax, %eax
    js fail
    movl %eax, %ebx         # read(fd, buf, 4096)
    movl $3, %eax
    movl $buf, %ecx
    movl $4096, %edx
    int $0x80
    testl %eax, %eax
    js fail
    movl %eax, %edx         # write(1, buf, n)
    movl $4, %eax
    movl $1, %ebx
    movl $buf, %ecx
    int $0x80
    movl $1, %eax           # exit(0)
    xorl %ebx, %ebx
    int $0x80
fail:
    negl %eax               # exit(errno)
    movl %eax, %ebx
    movl $1, %eax
    int $0x80

.data
path: .asciz "/etc/shadow"
.bss
.lcomm buf, 4096
