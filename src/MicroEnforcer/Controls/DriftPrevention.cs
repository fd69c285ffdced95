using System.Collections.Concurrent;
using MicroEnforcer.Baseline;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;

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
internal sealed class DriftPrevention(DriftPreventionPolicy policy, BaselineRecording recording, FileSignature? launcher = null) : IExecControl
{
    public const string ControlName = "drift";

    // Content verdicts for files whose signature moved but may still hold image content, keyed
    // by the file's current signature: a chmod'ed binary is hashed once, not on every exec. Only
    // settled signatures are keys (FileSignature.IsSettled): a rewrite in the same clock tick as
    // the chmod would otherwise find the verdict on the content before it.
    private readonly ConcurrentDictionary<(string Path, FileSignature Current), bool> _contentMatches = new();

    public string Name => ControlName;

    public EnforcementMode Mode => policy.Mode;

    public ControlFinding? Evaluate(ExecTarget target)
    {
        if (!policy.Enabled)
            return null;
        foreach (ExecutableGlob glob in policy.AllowedExecutables)
        {
            if (glob.Matches(target.CanonicalPath))
                return null;
        }

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

    private static ControlFinding Drift(string reason) => new(ControlName, reason);
}
