using System.Text;

namespace MicroEnforcer.Interop;

/// <summary>
/// PID 1's threads, named where the kernel shows them (/proc/1/task/*/comm, ps -L, top -H):
/// Native AOT on Linux does not pass Thread.Name to the kernel, so every thread read
/// "microenforcer", and an operator (or the start-up benchmark, which waits for the
/// baseline-hasher to finish) could not tell them apart.
/// </summary>
internal static class NamedThread
{
    private const int PR_SET_NAME = 15;
    private const int MaxNameBytes = 15;   // TASK_COMM_LEN - 1

    public static void Start(string name, Action body)
    {
        var thread = new Thread(() =>
        {
            SetCurrentName(name);
            body();
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
    }

    private static unsafe void SetCurrentName(string name)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(name);
        Span<byte> comm = stackalloc byte[MaxNameBytes + 1];
        bytes.AsSpan(0, Math.Min(bytes.Length, MaxNameBytes)).CopyTo(comm);
        fixed (byte* p = comm)
            Libc.Prctl(PR_SET_NAME, (nuint)p, 0, 0, 0);   // best effort: a name is no control
    }
}
