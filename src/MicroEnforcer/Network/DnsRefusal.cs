namespace MicroEnforcer.Network;

/// <summary>The answer PID 1 gives, in the workload's resolver's place, to a lookup it refuses.</summary>
internal enum DnsRefusal
{
    /// <summary>RCODE 3, NXDOMAIN: the name does not exist. Resolvers stop there (no other server is tried), and getaddrinfo says "Name or service not known".</summary>
    NameError,

    /// <summary>RCODE 5, REFUSED: the server will not answer. Resolvers may try their next server.</summary>
    Refused,
}
