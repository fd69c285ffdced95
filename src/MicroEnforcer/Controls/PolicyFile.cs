using MicroEnforcer.Interop;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// A policy file as read once: the result of validating it, and the SHA-256 of the very bytes
/// validated (the reload event names the policy by it). Reading the bytes once matters: a file
/// read twice, once to validate and once to hash, could change in between.
/// </summary>
internal sealed record PolicyFile(string Path, PolicyLoadResult Result, string? Sha256)
{
    /// <param name="requireReadOnlyMount">
    /// Refuse the file unless the descriptor it is read from is on a read-only mount: a reloaded
    /// policy must be one the workload cannot have written (see Supervision.PolicyReloader).
    /// </param>
    public static PolicyFile Read(string path, bool requireReadOnlyMount = false)
    {
        byte[] bytes;
        try
        {
            if (Directory.Exists(path))
                return new PolicyFile(path, ControlRegistry.LoadPolicyFile(path), null);
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (requireReadOnlyMount && !OnReadOnlyMount(stream))
                return Refused(path, "the file is on a writable mount inside the container, where the workload could have written it; a reloaded policy must come from a read-only mount (a ConfigMap volume)");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            bytes = copy.ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new PolicyFile(path, ControlRegistry.LoadPolicyFile(path), null);   // its own words for why it cannot be read
        }
        string text;
        // As File.ReadAllText reads it: a byte order mark picks the encoding, else UTF-8.
        using (var reader = new StreamReader(new MemoryStream(bytes), detectEncodingFromByteOrderMarks: true))
            text = reader.ReadToEnd();
        return new PolicyFile(path, ControlRegistry.ParsePolicy(text, path), Hash(bytes));
    }

    /// <summary>"sha256:" and the lowercase hex digest.</summary>
    public static string Hash(ReadOnlySpan<byte> content) => "sha256:" + Convert.ToHexStringLower(Baseline.Sha256.HashData(content));

    /// <summary>Whether the path's mount is read-only (a missing path is not).</summary>
    public static unsafe bool OnReadOnlyMount(string path)
    {
        int fd = NativePath.Open(path, Libc.O_PATH | Libc.O_CLOEXEC);
        if (fd < 0)
            return false;
        try
        {
            Libc.statfs fs;
            return Libc.FStatFs(fd, &fs) == 0 && (fs.f_flags & Libc.ST_RDONLY) != 0;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private static unsafe bool OnReadOnlyMount(FileStream stream)
    {
        Libc.statfs fs;
        return Libc.FStatFs((int)stream.SafeFileHandle.DangerousGetHandle(), &fs) == 0 && (fs.f_flags & Libc.ST_RDONLY) != 0;
    }

    private static PolicyFile Refused(string path, string why) =>
        new(path, PolicyLoadResult.Failure([new PolicyError(path, 0, 0, "(file)", why)]), null);
}
