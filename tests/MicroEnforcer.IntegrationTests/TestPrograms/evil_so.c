// A shared library an intruder drops at run time (LD_PRELOAD, LD_AUDIT, LD_LIBRARY_PATH,
// /etc/ld.so.preload): its constructor is the payload, as in pwned.c a marker file. It also
// defines greet(), so that it can stand in for the image's libgreet.so, and la_version(), which
// glibc calls in an audit module (LD_AUDIT) before any constructor: the payload runs there too.
#include <fcntl.h>
#include <unistd.h>

__attribute__((constructor)) static void payload(void)
{
    int fd = open("/tmp/PWNED", O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        (void)write(fd, "pwned\n", 6);
        close(fd);
    }
}

void greet(void)
{
    static const char text[] = "greet from the dropped library\n";
    (void)write(1, text, sizeof text - 1);
}

unsigned int la_version(unsigned int version)
{
    payload();
    return version;
}
