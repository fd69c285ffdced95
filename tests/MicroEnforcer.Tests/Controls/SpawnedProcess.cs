using System.Runtime.InteropServices;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Tests.Controls;

/// <summary>
/// A real child process started with the descriptors a test chooses (posix_spawn, which glibc runs
/// as a vfork: the runtime is not forked), returned once it has started and blocks (in sleep, read
/// or wait): posix_spawn itself returns in the middle of the exec, once the new image's memory
/// is mapped but before its argv is set up (/proc/PID/cmdline reads empty then), while the
/// tracer's exec event comes after it. It runs in
/// a process group of its own, killed with everything it started on dispose. Descriptors 0-2 are
/// /dev/null unless given; nothing else is inherited, not even what the test host inherited
/// without close-on-exec (a stray pipe would make every child a writer into it).
/// </summary>
internal sealed unsafe partial class SpawnedProcess : IDisposable
{
    private const int POSIX_SPAWN_SETPGROUP = 0x02;
    private const int O_RDWR = 2;
    private const int O_CLOEXEC = 0x80000;
    private const string ScratchVariable = "MICROENFORCER_TEST_SCRATCH=";
    private const string PathVariable = "PATH=/usr/bin:/bin";

    /// <summary>Bytes of the child's memory it never reads: the value of an environment variable no program looks at.</summary>
    public const int ScratchBytes = 64;

    private SpawnedProcess(int pid) => Pid = pid;

    public int Pid { get; }

    /// <param name="path">The file to exec.</param>
    /// <param name="argv">Its argv, argv[0] included.</param>
    /// <param name="fds">Descriptor in the child → descriptor of this process it is a copy of; -1 leaves it closed.</param>
    public static SpawnedProcess Start(string path, string[] argv, IReadOnlyDictionary<int, int>? fds = null)
    {
        fds ??= new Dictionary<int, int>();
        // Opaque glibc structures (80 and 336 bytes on x86-64): room to spare.
        byte* actions = stackalloc byte[512];
        byte* attributes = stackalloc byte[1024];
        Check(posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
        Check(posix_spawnattr_init(attributes), "posix_spawnattr_init");
        var strings = new List<nint>();
        try
        {
            for (int fd = 0; fd <= 2; fd++)
            {
                if (!fds.ContainsKey(fd))
                    Check(posix_spawn_file_actions_addopen(actions, fd, "/dev/null", O_RDWR, 0), "addopen");
            }
            int highest = Math.Max(2, fds.Keys.DefaultIfEmpty(0).Max());
            foreach ((int child, int parent) in fds.OrderBy(pair => pair.Key))
            {
                if (parent >= 0 && parent <= highest)
                    throw new ArgumentException($"fd {parent} would be overwritten before it is copied: the test's descriptors are expected above {highest}");
                if (parent < 0)
                    Check(posix_spawn_file_actions_addclose(actions, child), "addclose");
                else if (parent == child)
                    throw new ArgumentException($"fd {child} onto itself: dup2 would keep it close-on-exec");
                else
                    Check(posix_spawn_file_actions_adddup2(actions, parent, child), "adddup2");
            }
            Check(posix_spawn_file_actions_addclosefrom_np(actions, highest + 1), "addclosefrom_np");
            Check(posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETPGROUP), "posix_spawnattr_setflags");
            Check(posix_spawnattr_setpgroup(attributes, 0), "posix_spawnattr_setpgroup");

            nint* argvArray = stackalloc nint[argv.Length + 1];
            for (int i = 0; i < argv.Length; i++)
                strings.Add(argvArray[i] = Marshal.StringToCoTaskMemUTF8(argv[i]));
            argvArray[argv.Length] = 0;
            nint* envp = stackalloc nint[3];
            strings.Add(envp[0] = Marshal.StringToCoTaskMemUTF8(PathVariable));
            strings.Add(envp[1] = Marshal.StringToCoTaskMemUTF8(ScratchVariable + new string('x', ScratchBytes)));
            envp[2] = 0;

            int pid;
            Check(posix_spawn(&pid, path, actions, attributes, argvArray, envp), $"posix_spawn {path}");
            var process = new SpawnedProcess(pid);
            process.WaitUntilBlocked();
            return process;
        }
        finally
        {
            foreach (nint s in strings)
                Marshal.FreeCoTaskMem(s);
            _ = posix_spawn_file_actions_destroy(actions);
            _ = posix_spawnattr_destroy(attributes);
        }
    }

    /// <summary>A pipe, both ends close-on-exec in this process: (read end, write end).</summary>
    public static (int Read, int Write) Pipe()
    {
        int* fds = stackalloc int[2];
        if (pipe2(fds, O_CLOEXEC) != 0)
            throw new InvalidOperationException($"pipe2: {Marshal.GetLastPInvokeErrorMessage()}");
        return (fds[0], fds[1]);
    }

    /// <summary>Writes into the child's memory, as its own code would have (e.g. a sockaddr a connect points at).</summary>
    public void WriteMemory(ulong address, ReadOnlySpan<byte> bytes)
    {
        using var memory = new FileStream($"/proc/{Pid}/mem", FileMode.Open, FileAccess.ReadWrite);
        memory.Seek((long)address, SeekOrigin.Begin);
        memory.Write(bytes);
    }

    /// <summary>
    /// The address of <see cref="ScratchBytes"/> bytes of the child's memory it never reads (on its
    /// stack, after its environment's start, /proc/PID/stat field 50): where a test puts what a
    /// system call of the child would point at.
    /// </summary>
    public ulong ScratchAddress()
    {
        ulong environment = ulong.Parse(StatFields()[50 - 3], System.Globalization.CultureInfo.InvariantCulture);
        return environment + (ulong)PathVariable.Length + 1 + (ulong)ScratchVariable.Length;
    }

    private string[] StatFields()
    {
        string stat = File.ReadAllText($"/proc/{Pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }

    private void WaitUntilBlocked()
    {
        for (int i = 0; i < 1000; i++)
        {
            if (StatFields()[0] is "S" or "Z")
                return;
            Thread.Sleep(5);
        }
        throw new InvalidOperationException($"pid {Pid} did not block in 5 s");
    }

    public void Dispose()
    {
        _ = Libc.Kill(-Pid, Libc.SIGKILL);
        int status;
        _ = Libc.WaitPid(Pid, &status, 0);
    }

    private static void Check(int error, string what)
    {
        if (error != 0)
            throw new InvalidOperationException($"{what}: {Marshal.GetPInvokeErrorMessage(error)}");
    }

    [LibraryImport("libc")]
    private static partial int posix_spawn(int* pid, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* actions, byte* attributes,
        nint* argv, nint* envp);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_init(byte* actions);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_destroy(byte* actions);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_adddup2(byte* actions, int fd, int newFd);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_addclose(byte* actions, int fd);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_addclosefrom_np(byte* actions, int from);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_addopen(byte* actions, int fd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path,
        int flags, uint mode);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_init(byte* attributes);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_destroy(byte* attributes);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setflags(byte* attributes, short flags);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setpgroup(byte* attributes, int pgroup);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int pipe2(int* fds, int flags);
}
