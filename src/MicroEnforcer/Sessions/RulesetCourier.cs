using System.Text;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Sessions;

/// <summary>
/// Carries the launch plan's Landlock rule set into exec sessions seized by ptrace, which cannot
/// hand over a descriptor: PID 1 binds a unix datagram socket at a random abstract name, and the
/// injection makes the session connect a socket of its own to it, bind that socket to a fresh
/// random name and receive one datagram carrying the rule set (SCM_RIGHTS). Connected first, the
/// session's socket accepts datagrams from this socket only (the kernel's unix_may_send), so the
/// descriptor it receives can be no one else's. Abstract names belong to the network namespace,
/// which the container's processes and its exec sessions share; they need no writable file system.
/// Used on the tracer thread only.
/// </summary>
internal sealed class RulesetCourier : IDisposable
{
    private const string Prefix = "microenforcer-ruleset-";
    private readonly int _socket;
    private readonly int _ruleset;

    private RulesetCourier(int socket, byte[] name, int ruleset)
    {
        _socket = socket;
        Name = name;
        _ruleset = ruleset;
    }

    /// <summary>The courier's abstract name (without the leading NUL).</summary>
    public byte[] Name { get; }

    /// <summary>The courier of <paramref name="ruleset"/>; null with <paramref name="error"/> when its socket cannot be bound.</summary>
    public static unsafe RulesetCourier? Open(int ruleset, out string? error)
    {
        byte[] name = RandomName("");
        int socket;
        fixed (byte* p = name)
            socket = Shim.CourierBind(p, name.Length);
        if (socket < 0)
        {
            error = $"binding the rule set's courier socket: {Libc.DescribeErrno(-socket)}";
            return null;
        }
        error = null;
        return new RulesetCourier(socket, name, ruleset);
    }

    /// <summary>A fresh name for one session's receiving socket: unguessable, so nobody binds it first.</summary>
    public static byte[] SessionName() => RandomName("session-");

    /// <summary>Sends the rule set to the session's socket bound at <paramref name="session"/>: 0 or an errno.</summary>
    public unsafe int Send(byte[] session)
    {
        fixed (byte* p = session)
            return Shim.CourierSend(_socket, p, session.Length, _ruleset);
    }

    /// <summary>struct sockaddr_un for an abstract <paramref name="name"/>, as long as connect and bind are told.</summary>
    public static byte[] Address(byte[] name)
    {
        byte[] address = new byte[2 + 1 + name.Length];
        address[0] = 1;   // AF_UNIX, little-endian sa_family_t; sun_path[0] stays 0: abstract
        name.CopyTo(address, 3);
        return address;
    }

    // Eight bytes of the kernel's randomness as 16 hex digits.
    private static unsafe byte[] RandomName(string kind)
    {
        byte* random = stackalloc byte[8];
        if (Libc.GetRandom(random, 8, 0) != 8)
            throw new InvalidOperationException($"getrandom: {Libc.DescribeErrno(Libc.LastErrno)}");
        return Encoding.ASCII.GetBytes(Prefix + kind + Convert.ToHexStringLower(new ReadOnlySpan<byte>(random, 8)));
    }

    public void Dispose() => Libc.Close(_socket);
}
