namespace MicroEnforcer.Launcher;

/// <summary>
/// The launcher's own arguments as the bytes the kernel passed. .NET decodes argv as UTF-8 with
/// replacement characters, so a workload command whose name is not valid UTF-8 would be exec'd
/// under another name. The command is the tail of argv (after `--`), so its exact bytes are the
/// last entries of /proc/self/cmdline.
/// </summary>
internal static class RawCommandLine
{
    public static byte[][] Tail(int count)
    {
        byte[] raw = File.ReadAllBytes("/proc/self/cmdline");
        var args = new List<byte[]>();
        int start = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] != 0)
                continue;
            args.Add(raw[start..i]);
            start = i + 1;
        }
        if (args.Count < count)
            throw new InvalidOperationException($"/proc/self/cmdline has {args.Count} arguments, fewer than the command's {count}");
        return [.. args.Skip(args.Count - count)];
    }
}
