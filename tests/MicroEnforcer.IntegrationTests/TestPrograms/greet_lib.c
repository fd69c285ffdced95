// libgreet.so: an image library without an execute bit (Debian installs libraries 0644), at
// /opt/tests/lib, which /opt/tests/greet finds through its RUNPATH.
#include <stdio.h>

void greet(void)
{
    puts("greet from the image library");
}
