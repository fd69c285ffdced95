using MicroEnforcer.Policy;

namespace MicroEnforcer.Cli;

/// <summary>
/// `install DIR`: copy this binary (and the policy beside it, else the built-in one) into DIR.
/// The enforcer image is FROM scratch, with no `cp`: this is how the init container that the
/// Kubernetes injector adds fills the emptyDir the app containers then mount at /.microenforcer.
/// Written under a temporary name and renamed, so a half-copied binary is never seen.
/// </summary>
internal static class InstallCommand
{
    public static int Execute(string directory)
    {
        try
        {
            string self = Environment.ProcessPath ?? throw new IOException("the path of this binary is unknown");
            Directory.CreateDirectory(directory);
            Install(self, Path.Combine(directory, "microenforcer"),
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            string policy = Path.Combine(Path.GetDirectoryName(self) ?? "/", "policy.yaml");
            string policyTarget = Path.Combine(directory, "policy.yaml");
            if (File.Exists(policy))
                Install(policy, policyTarget, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            else
                File.WriteAllText(policyTarget, DefaultPolicy.Text);
            StandardStreams.Out.WriteLine($"microenforcer: installed into {directory}");
            return ExitCodes.Success;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            StandardStreams.Error.WriteLine($"microenforcer: install into {directory} failed: {e.Message}");
            return ExitCodes.Internal;
        }
    }

    private static void Install(string source, string target, UnixFileMode mode)
    {
        string temporary = target + ".tmp";
        File.Copy(source, temporary, overwrite: true);
        if (OperatingSystem.IsLinux())
            File.SetUnixFileMode(temporary, mode);
        File.Move(temporary, target, overwrite: true);
    }
}
