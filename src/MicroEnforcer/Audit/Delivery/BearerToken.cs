using MicroEnforcer.Interop;

namespace MicroEnforcer.Audit.Delivery;

/// <summary>
/// The token of an HTTP sink's <c>bearerTokenFile</c>, sent as <c>Authorization: Bearer …</c>:
/// read again whenever the file's inode, size or modification time changes (a projected
/// service-account token is rotated by a symlink swap, which changes the inode), checked with one
/// statx per request.
/// </summary>
internal sealed class BearerToken(string path)
{
    private (ulong Inode, ulong Size, long Seconds, uint Nanoseconds) _version;
    private string? _token;

    public string Path { get; } = path;

    /// <summary>The trimmed content of the file now.</summary>
    /// <exception cref="DeliveryFailure">The file cannot be read or is empty: a mount may still be on its way, so the batch waits.</exception>
    public string Value()
    {
        if (NativePath.Statx(Path, 0, out Libc.statx st) != 0)
            throw new DeliveryFailure($"cannot read bearerTokenFile {Path}: {Libc.DescribeErrno(Libc.LastErrno)}");
        var version = (st.stx_ino, st.stx_size, st.stx_mtime.tv_sec, st.stx_mtime.tv_nsec);
        if (_token is not null && version == _version)
            return _token;
        string text;
        try
        {
            text = File.ReadAllText(Path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeliveryFailure($"cannot read bearerTokenFile {Path}: {e.Message}", inner: e);
        }
        if (text.Length == 0)
            throw new DeliveryFailure($"bearerTokenFile {Path} is empty");
        (_token, _version) = (text, version);
        return text;
    }
}
