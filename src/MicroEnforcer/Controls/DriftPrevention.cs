using System.Collections.Concurrent;
using MicroEnforcer.Baseline;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>
/// Drift prevention: only the image's own executables, at their image paths and with their image
/// content, may run. Copies, downloads, package installs, renames, files on tmpfs, /dev/shm or
/// volumes, and modifications in place are drift. A changed signature with unchanged content
/// (chmod, an overlay copy-up, a hard link) is not: the content hash settles it, and before the
/// file is hashed, its unchanged mtime (<see cref="ContentStamps"/>).
///
/// The launcher's own binary is not drift wherever it lives (`launcher`: its signature at start).
/// The Kubernetes injector's init container and the Fargate sidecar mount it from a volume, not
/// the image, and `kubectl exec` sessions the webhook wraps exec it. Only the very file PID 1 runs
/// from, untouched since, is allowed: a copy or a modified file has another signature.
///
/// The baseline is recorded behind the workload (<see cref="BaselineRecording"/>). Until it is, a
/// file the <see cref="StartMark"/> proves untouched since the start is the image's; any other
/// objection awaits the baseline (the entry check holds the exec until it is recorded, then
/// asks again), so the verdicts and reasons are those of the recorded baseline.
/// </summary>
internal sealed class DriftPrevention(DriftPreventionPolicy policy, BaselineRecording recording, FileSignature? launcher = null) : IExecControl, ISyscallControl
{
    public const string ControlName = "drift";

    // Content verdicts for files whose signature moved but may still hold image content, keyed
    // by the file's current signature: a chmod'ed binary is hashed once, not on every exec. Only
    // settled signatures are keys (FileSignature.IsSettled): a rewrite in the same clock tick as
    // the chmod would otherwise find the verdict on the content before it.
    private readonly ConcurrentDictionary<(string Path, FileSignature Current), bool> _contentMatches = new();

    public string Name => ControlName;

    public EnforcementMode Mode => policy.Mode;

    public bool Enabled => policy.Enabled;

    public IReadOnlyList<SyscallKind> Kinds { get; } = [SyscallKind.SetTimes];

    /// <summary>
    /// A time call (utime, utimensat...) waits in its notification while the content stamps may
    /// vouch for an image file: it could set an mtime back (see <see cref="ContentStamps"/>).
    /// Registers only, nothing read: which file it names cannot be pinned down race-free.
    /// </summary>
    public SyscallVerdict Decide(in SyscallCall call) => recording.Stamps.Active ? SyscallVerdict.HoldUntilHashed : SyscallVerdict.Continue;

    public ControlFinding? Evaluate(ExecTarget target)
    {
        if (!policy.Enabled)
            return null;
        if (IsAllowed(target.CanonicalPath))
            return null;

        FileSignature current = target.Signature;
        if (!current.IsRegularFile)
            return null;   // the kernel refuses to exec anything else (EACCES) on its own
        if (current.LinkCount == 0)
            return Drift("the file was deleted: it is not an image file");
        if (launcher is { } self && current.IsUntouchedSince(self))
            return null;

        if (recording.Recorded is not { } baseline)
        {
            return recording.Mark.ProvesUntouched(current)
                ? null
                : Drift("not provably an image file before the image baseline is recorded") with { AwaitsBaseline = true };
        }
        if (baseline.Find(target.CanonicalPath) is not { } entry)
            return Drift("not in the image baseline");
        if (entry.ChangedBeforeRecorded)
            return Drift("created or modified after the workload started, before the image baseline recorded it");
        if (entry.RevokedReason is { } revoked)
            return Drift($"changed since the image baseline before its image content was hashed, and the mtime cannot vouch for it: {revoked}");
        if (current.IsUntouchedSince(entry.Signature))
            return null;
        if (current.Size != entry.Signature.Size)
            return Drift("modified since the image baseline (size changed)");

        if (entry.Hash is not { } original)
        {
            // Not hashed yet (or never: it changed first). Only its metadata changed, if the stamps
            // say so: same inode, size and mtime, an mtime from before the start, none set back.
            if (recording.Stamps.Vouch(entry.Signature, current))
                return null;
            return Drift(entry.HashUnavailableReason is { } why
                ? $"changed since the image baseline, and the image content is unknown ({why})"
                : "changed since the image baseline before its image content was hashed");
        }

        if (_contentMatches.TryGetValue((target.CanonicalPath, current), out bool matches))
            return matches ? null : Drift("content differs from the image baseline");
        int errno = ContentHash.TryCompute(target.ContentPath, out ContentHash now);
        if (errno != 0)
            return Drift($"changed since the image baseline and cannot be read to compare: {Libc.DescribeErrno(errno)}");
        matches = now.Equals(original);
        if (current.IsSettled)
            _contentMatches[(target.CanonicalPath, current)] = matches;
        return matches ? null : Drift("content differs from the image baseline");
    }

    /// <summary>
    /// A file the dynamic loader would map and run as code (a library named by LD_PRELOAD,
    /// LD_AUDIT, /etc/ld.so.preload). Judged like an executable; a library need not have an
    /// execute bit (Debian installs them 0644), so a file the baseline does not hold is the
    /// image's when the start mark proves it untouched: on the root mount, its ctime (which
    /// userspace cannot set) earlier than the start. Nothing waits at the exec event.
    /// </summary>
    public ControlFinding? EvaluateLibrary(ExecTarget target)
    {
        if (!policy.Enabled)
            return null;
        if (!target.Signature.IsRegularFile)
        {
            return IsAllowed(target.CanonicalPath) ? null : Drift("not a regular file");
        }
        if (Evaluate(target) is not { } finding)
            return null;
        if (target.Signature.LinkCount > 0 && recording.Mark.ProvesUntouched(target.Signature))
            return null;
        return finding with { AwaitsBaseline = false };
    }

    /// <summary>
    /// A directory the loader searches for libraries (LD_LIBRARY_PATH). It must be an image
    /// directory that no name was added to, removed from or renamed in since the start: on the
    /// root mount, its ctime earlier than the start mark (a new entry changes it, and userspace
    /// cannot set it back). Then the loader can only find there what the image put there, as in
    /// its default directories. `allowedExecutables` may name the directory itself.
    /// </summary>
    public ControlFinding? EvaluateLibraryDirectory(string canonicalPath, in FileSignature directory)
    {
        if (!policy.Enabled)
            return null;
        if (IsAllowed(canonicalPath))
            return null;
        if ((directory.Mode & Libc.S_IFMT) != Libc.S_IFDIR)
            return Drift("not a directory");
        return recording.Mark.ProvesUntouched(directory)
            ? null
            : Drift("not an image directory unchanged since the start (on the image's root filesystem, no name added, removed or renamed in it since)");
    }

    // allowedExecutables: paths that may run, or be loaded from, even though they drifted.
    private bool IsAllowed(string canonicalPath)
    {
        foreach (PathGlob glob in policy.AllowedExecutables)
        {
            if (glob.Matches(canonicalPath))
                return true;
        }
        return false;
    }

    /// <summary>Whether a file (e.g. /etc/ld.so.preload) is the image's, untouched since the start.</summary>
    public bool IsUntouchedImageFile(in FileSignature file) => recording.Mark.ProvesUntouched(file);

    private static ControlFinding Drift(string reason) => new(ControlName, reason);
}
