namespace MicroEnforcer.IntegrationTests.Network;

/// <summary>
/// The resolvers a workload looks names up with, each as a shell command for one NAME, and how
/// each sends its query (strace -f -e trace=network,write, Debian 12). What decides whether the
/// enforcer sees the name:
/// <list type="bullet">
/// <item>glibc <c>getent hosts</c>: UDP socket, connect(127.0.0.1:53), then sendto(fd, query, NULL, 0): one question per socket (AAAA, then A).</item>
/// <item>glibc <c>getent ahosts</c> (getaddrinfo): connect, then sendmmsg of the A and AAAA queries with msg_name NULL.</item>
/// <item>glibc with <c>RES_OPTIONS=use-vc</c>: TCP to port 53, the query written on the stream.</item>
/// <item>musl (static): bind(0.0.0.0:0), then sendto with the server's address, A and AAAA.</item>
/// <item>busybox nslookup: bind(0), connect(127.0.0.1:53), then write() (not send).</item>
/// <item>dig: bind(0), connect, then sendmmsg of one message with msg_name NULL.</item>
/// <item>dig +tcp: bind(0), non-blocking connect (EINPROGRESS), then writev of length and query.</item>
/// </list>
/// </summary>
internal static class Resolvers
{
    public static readonly Dictionary<string, string> Commands = new()
    {
        ["getent"] = "getent hosts {0}",
        ["getent_ahosts"] = "getent ahosts {0}",
        ["getent_tcp"] = "RES_OPTIONS=use-vc getent hosts {0}",
        ["musl"] = "/opt/tests/resolve_musl {0}",
        ["nslookup"] = "nslookup {0}",
        ["dig"] = "dig +short +tries=1 +time=3 {0}",
        ["dig_tcp"] = "dig +tcp +short +tries=1 +time=3 {0}",
    };

    /// <summary>The resolver's command for NAME, followed by its exit status ("rc=N").</summary>
    public static string Lookup(string resolver, string name) => string.Format(System.Globalization.CultureInfo.InvariantCulture, Commands[resolver], name) + "; echo rc=$?";
}
