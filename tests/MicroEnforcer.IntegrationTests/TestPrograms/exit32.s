# An i386 image binary with no libc: exits 7 through int 0x80. Built with `as --32` and
# `ld -m elf_i386` (binutils, which gcc brings), because the machines have no 32-bit libc.
# Under the enforcer its exec stop reads a 32-bit auxiliary vector.
.globl _start
_start:
    movl $1, %eax       # exit
    movl $7, %ebx
    int $0x80
