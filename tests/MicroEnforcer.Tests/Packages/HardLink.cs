using System.Runtime.InteropServices;

namespace MicroEnforcer.Tests.Packages;

/// <summary>link(2), which .NET has no API for: a second name for the same inode.</summary>
internal static partial class HardLink
{
    public static void Create(string path, string existing)
    {
        if (Link(existing, path) != 0)
            throw new IOException($"link {existing} {path}: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string oldPath, string newPath);
}
