using MicroEnforcer.Baseline;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// A policy file as read once: the result of validating it, and the SHA-256 of the very bytes
/// validated (the reload event names the policy by it). Reading the bytes once matters: a file
/// read twice, once to validate and once to hash, could change in between.
/// </summary>
internal sealed record PolicyFile(string Path, PolicyLoadResult Result, string? Sha256)
{
    public static PolicyFile Read(string path)
    {
        byte[] bytes;
        try
        {
            if (Directory.Exists(path))
                return new PolicyFile(path, ControlRegistry.LoadPolicyFile(path), null);
            bytes = File.ReadAllBytes(path);
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
}
