// The drifted payload of the attack tests: if it ever runs one instruction of its own, it leaves
// a marker file and exits 42. Tests copy it out of the image at run time, which makes it drift.
#include <fcntl.h>
#include <unistd.h>

int main(void)
{
    int fd = open("/tmp/PWNED", O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        (void)write(fd, "pwned\n", 6);
        close(fd);
    }
    return 42;
}
