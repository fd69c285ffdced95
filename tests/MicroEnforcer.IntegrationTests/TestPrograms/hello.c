// An ordinary image executable.
#include <stdio.h>

int main(void)
{
    puts("hello from the image");
    return 0;
}
