using MicroEnforcer.Baseline;

namespace MicroEnforcer.Packages;

/// <summary>
/// A file a package installed, as it is on disk at start.
/// </summary>
/// <param name="Path">Its path with every symlink of its directories resolved (merged /usr: dpkg's /bin/nc.openbsd is /usr/bin/nc.openbsd).</param>
/// <param name="Signature">statx of the file itself: its device and inode name it under any other link.</param>
/// <param name="Package">The package that installed it.</param>
internal sealed record OwnedFile(string Path, FileSignature Signature, string Package);
