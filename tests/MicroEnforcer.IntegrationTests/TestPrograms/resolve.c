// A lookup through the C library's own resolver (built with musl-gcc -static: musl's resolver,
// which reads /etc/resolv.conf and sends its queries itself). Prints one line per name:
// "resolve NAME: ADDRESS..." or "resolve NAME: failed (gai_strerror)".
//
//   resolve_musl NAME...
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int failures = 0;
    for (int i = 1; i < argc; i++) {
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
        struct addrinfo *found = NULL;
        int rc = getaddrinfo(argv[i], NULL, &hints, &found);
        if (rc != 0) {
            printf("resolve %s: failed (%s)\n", argv[i], gai_strerror(rc));
            failures++;
            continue;
        }
        char line[1024] = "";
        for (struct addrinfo *a = found; a; a = a->ai_next) {
            char text[INET6_ADDRSTRLEN];
            const void *address = a->ai_family == AF_INET ? (const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr
                                                           : (const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
            inet_ntop(a->ai_family, address, text, sizeof text);
            strncat(line, " ", sizeof line - strlen(line) - 1);
            strncat(line, text, sizeof line - strlen(line) - 1);
        }
        printf("resolve %s:%s\n", argv[i], line);
        freeaddrinfo(found);
    }
    return failures ? 1 : 0;
}
