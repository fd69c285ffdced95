// The program `osbench launch` starts: exits at once.
int main(void)
{
    return 0;
}
