using MicroEnforcer.Baseline;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Packages;

/// <summary>
/// The files some packages installed, found on disk once, at start, under a root directory: by
/// path and by file identity (device and inode, so a hard link elsewhere is the same file).
///
/// Kept: everything but directories and symlinks. A directory is shared (/usr/bin belongs to
/// dozens of packages); a symlink's target belongs to its own package (Debian's alternatives:
/// /usr/bin/nc is a link to /etc/alternatives/nc, a link to whichever package provides it).
/// The directories along a path are resolved as the kernel would, symlinks included, inside the
/// root (openat2 RESOLVE_IN_ROOT): an image's absolute links lead into the image, not the host.
/// </summary>
internal sealed class PackageFileIndex
{
    private readonly Dictionary<string, OwnedFile> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<(uint, uint, ulong), OwnedFile> _byIdentity = [];

    private PackageFileIndex()
    {
    }

    public static PackageFileIndex Empty { get; } = new();

    /// <summary>Every file kept, once each (a file two listed packages installed is kept under the first).</summary>
    public IReadOnlyCollection<OwnedFile> Files => _byPath.Values;

    /// <summary>Paths the database lists that are not on disk (removed when the image was built, e.g. documentation).</summary>
    public int Missing { get; private set; }

    public OwnedFile? ByPath(string canonicalPath) => _byPath.GetValueOrDefault(canonicalPath);

    public OwnedFile? ByIdentity(in FileSignature signature) =>
        _byIdentity.GetValueOrDefault((signature.DevMajor, signature.DevMinor, signature.Inode));

    /// <summary>The files of <paramref name="packages"/> as they are under <paramref name="root"/> now.</summary>
    public static PackageFileIndex Build(string root, IEnumerable<InstalledPackage> packages)
    {
        var index = new PackageFileIndex();
        int rootFd = NativePath.Open(root, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (rootFd < 0)
            throw new IOException($"cannot open {root}: {Libc.DescribeErrno(Libc.LastErrno)}");
        var directories = new Dictionary<string, ImageDirectory?>(StringComparer.Ordinal);
        try
        {
            string rootPath = NativePath.ReadLink($"/proc/self/fd/{rootFd}") ?? root;
            foreach (InstalledPackage package in packages)
            {
                foreach (string path in package.Paths)
                {
                    int slash = path.LastIndexOf('/');
                    string parent = path[..slash].Trim('/');
                    if (!directories.TryGetValue(parent, out ImageDirectory? directory))
                        directories[parent] = directory = ImageDirectory.Open(rootFd, rootPath, parent);
                    if (directory is null || directory.Entry(path[(slash + 1)..]) is not { } found)
                    {
                        index.Missing++;
                        continue;
                    }
                    if (found.Kind is FileKind.Directory or FileKind.Symlink)
                        continue;
                    var file = new OwnedFile(found.Path, found.Signature, package.Name);
                    if (index._byPath.TryAdd(file.Path, file))
                        index._byIdentity.TryAdd((file.Signature.DevMajor, file.Signature.DevMinor, file.Signature.Inode), file);
                }
            }
        }
        finally
        {
            foreach (ImageDirectory? directory in directories.Values)
                directory?.Dispose();
            Libc.Close(rootFd);
        }
        return index;
    }

    private enum FileKind
    {
        Other,
        Directory,
        Symlink,
    }

    private sealed record Entry(string Path, FileSignature Signature, FileKind Kind);

    /// <summary>A directory of the image, open (O_PATH), with its path from the root, symlinks resolved.</summary>
    private sealed class ImageDirectory(int fd, string path, bool owned) : IDisposable
    {
        public static ImageDirectory? Open(int rootFd, string rootPath, string relative)
        {
            if (relative.Length == 0)
                return new ImageDirectory(rootFd, "", owned: false);
            int fd = NativePath.OpenBeneath(rootFd, PathText.Encode(relative), inRoot: true, noFollow: false);
            if (fd < 0)
                return null;
            string? real = NativePath.ReadLink($"/proc/self/fd/{fd}");
            string? inRoot = real is null ? null
                : rootPath == "/" ? real
                : real == rootPath ? ""
                : real.StartsWith(rootPath + "/", StringComparison.Ordinal) ? real[rootPath.Length..]
                : null;
            if (inRoot is null)
            {
                Libc.Close(fd);
                return null;
            }
            return new ImageDirectory(fd, inRoot.TrimEnd('/'), owned: true);
        }

        /// <summary>The entry <paramref name="name"/>, not following it if it is a symlink; null when it does not exist.</summary>
        public Entry? Entry(string name)
        {
            int file = NativePath.OpenAt(fd, name, Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
            if (file < 0)
                return null;
            try
            {
                if (FileSignature.TryRead(file, out FileSignature signature) != 0)
                    return null;
                FileKind kind = (signature.Mode & Libc.S_IFMT) switch
                {
                    Libc.S_IFDIR => FileKind.Directory,
                    Libc.S_IFLNK => FileKind.Symlink,
                    _ => FileKind.Other,
                };
                return new Entry($"{path}/{name}", signature, kind);
            }
            finally
            {
                Libc.Close(file);
            }
        }

        public void Dispose()
        {
            if (owned)
                Libc.Close(fd);
        }
    }
}
