using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

/// <summary>
/// A NULL-terminated argv of C strings in native memory, for execvp in the launch shim. Built
/// before anything forks: a forked child of a multithreaded process may not allocate.
/// </summary>
internal sealed unsafe class NativeArgv : IDisposable
{
    private readonly nint[] _strings;

    public NativeArgv(IReadOnlyList<byte[]> arguments)
    {
        _strings = new nint[arguments.Count];
        Pointer = (byte**)Marshal.AllocHGlobal(sizeof(nint) * (arguments.Count + 1));
        for (int i = 0; i < arguments.Count; i++)
        {
            byte[] bytes = arguments[i];
            nint p = Marshal.AllocHGlobal(bytes.Length + 1);
            Marshal.Copy(bytes, 0, p, bytes.Length);
            Marshal.WriteByte(p, bytes.Length, 0);
            _strings[i] = p;
            Pointer[i] = (byte*)p;
        }
        Pointer[arguments.Count] = null;
    }

    public byte** Pointer { get; }

    /// <summary>argv[0]: the file execvp looks up.</summary>
    public byte* File => Pointer[0];

    public void Dispose()
    {
        foreach (nint s in _strings)
            Marshal.FreeHGlobal(s);
        Marshal.FreeHGlobal((nint)Pointer);
    }
}
