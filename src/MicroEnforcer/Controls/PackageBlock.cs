using MicroEnforcer.Packages;
using MicroEnforcer.Policy;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Controls;

/// <summary>
/// Package Block: the files the listed OS packages installed, found in the image's package
/// databases at start (<see cref="ImagePackages"/>), cannot be read, written or executed.
/// Enforce mode: each file is a <see cref="FileRestriction"/> in the launch plan (Landlock, in the
/// kernel, on the inode: no path trick reaches it), and an exec of one, by any path or hard link
/// (device and inode), is refused at the call like an Executables Blocked entry. Audit mode:
/// nothing is restricted; an exec of one is reported.
/// Directories and symlinks the packages installed are not restricted (see <see cref="PackageFileIndex"/>).
/// An image whose packages are in an rpm database cannot be read, and a kernel without Landlock
/// cannot restrict the files: either way enforce mode refuses to start unless <c>fallback: audit</c>.
/// </summary>
internal sealed class PackageBlock(PackageFileIndex files, EnforcementMode mode, FallbackMode fallback, string? refusal, ILogger log)
    : IExecControl, ILaunchControl
{
    public const string ControlName = "packageBlock";

    public string Name => ControlName;

    /// <summary>The policy's mode, or audit where it cannot enforce (an rpm image, no Landlock) and the policy falls back.</summary>
    public EnforcementMode Mode { get; private set; } = mode;

    /// <summary>The image's files of the listed packages, and what to say at start, read under <paramref name="root"/>.</summary>
    public static PackageBlock Load(PackageBlockPolicy policy, string root, ILogger log)
    {
        ImagePackages image;
        try
        {
            image = ImagePackages.Read(root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Never silently less: a database that cannot be read is a refusal in enforce mode.
            if (policy.Mode == EnforcementMode.Enforce)
                return new PackageBlock(PackageFileIndex.Empty, policy.Mode, policy.Fallback, $"{ControlName}: cannot read the image's package database: {e.Message}", log);
            Log.PackageDatabaseUnreadable(log, e.Message);
            return new PackageBlock(PackageFileIndex.Empty, policy.Mode, policy.Fallback, null, log);
        }
        string databases = image.Databases.Count > 0 ? string.Join(", ", image.Databases) : "the image has no dpkg or apk database";
        var listed = new List<InstalledPackage>();
        foreach (string name in policy.Packages)
        {
            int before = listed.Count;
            listed.AddRange(image.Named(name));
            if (listed.Count == before)
                Log.PackageNotInstalled(log, name, databases);
            for (int i = before; i < listed.Count; i++)
            {
                if (listed[i].PathsUnknown is { } why)
                    Log.PackagePathsUnknown(log, name, why);
            }
        }
        PackageFileIndex files = PackageFileIndex.Build(root, listed);
        Log.PackagesFound(log, listed.Select(package => package.Name).Distinct().Count(), policy.Packages.Count, databases, files.Files.Count, files.Missing);

        if (image.UnreadRpmDatabase is not { } rpm)
            return new PackageBlock(files, policy.Mode, policy.Fallback, null, log);
        if (policy.Mode == EnforcementMode.Enforce && policy.Fallback == FallbackMode.Refuse)
        {
            return new PackageBlock(files, policy.Mode, policy.Fallback,
                $"{ControlName}: the image has an rpm database ({rpm}), which the enforcer cannot read (only through rpm's native "
                + "libraries), so the packages rpm installed cannot be found and blocked. Block their files with spec.fileBlock instead, "
                + "or set spec.packageBlock.fallback: audit to run without this control enforcing", log);
        }
        Log.RpmNotSupported(log, rpm);
        return new PackageBlock(files, EnforcementMode.Audit, policy.Fallback, null, log);
    }

    public string? Prepare(LaunchPlan plan)
    {
        if (refusal is not null)
            return refusal;
        if (FileRestrictions.Mode(ControlName, Mode, fallback, FileRights.OnFile, log, out string? noLandlock) is not { } effective)
            return noLandlock;
        Mode = effective;
        if (Mode != EnforcementMode.Enforce)
            return null;
        foreach (OwnedFile file in files.Files)
        {
            plan.Restrict(new FileRestriction(file.Path, FileRights.OnFile, ControlName, file.Package));
            // Landlock judges the path a file is opened by: a link the image has elsewhere reads the
            // same content (an exec of it is still refused: the exec check compares the inode).
            if (file.Signature.LinkCount > 1)
                Log.ControlWarning(log, ControlName, $"{file.Path} ({file.Package}) has {file.Signature.LinkCount} hard links: a link at another path reaches the same content and is not restricted");
        }
        return null;
    }

    public void Launched(int pid, string process, string? path)
    {
    }

    public ControlFinding? Evaluate(ExecTarget target)
    {
        // By identity first: a hard link elsewhere is the same file; by path too: a file put in
        // place of the package's since start (a new inode) is still the package's name for it.
        if ((files.ByIdentity(target.Signature) ?? files.ByPath(target.CanonicalPath)) is not { } file)
            return null;
        string what = target.Role switch
        {
            ExecRole.Script => "the script ",
            ExecRole.ElfInterpreter => "the ELF interpreter ",
            _ => "",
        };
        string same = file.Path == target.CanonicalPath ? "" : $" (the same file as {file.Path})";
        return new ControlFinding(ControlName,
            $"{what}{target.CanonicalPath}{same} belongs to the blocked package '{file.Package}' (spec.{ControlName}.packages)");
    }
}
