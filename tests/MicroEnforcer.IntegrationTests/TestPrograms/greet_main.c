// /opt/tests/greet: dynamically linked against libgreet.so (RUNPATH /opt/tests/lib, which
// LD_LIBRARY_PATH takes precedence over).
void greet(void);

int main(void)
{
    greet();
    return 0;
}
