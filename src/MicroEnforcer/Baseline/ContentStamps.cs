namespace MicroEnforcer.Baseline;

/// <summary>
/// Tells that an image file whose metadata changed (chmod, chown, a hard link, a rename, an
/// xattr, an overlay copy-up) still holds its image content, before its content is hashed.
///
/// Entrypoints change metadata as their first commands (`chown -R app:app /app`, `chmod +x`),
/// while the baseline's hashing runs behind the workload for seconds on a large image: a file
/// whose ctime moved before it was hashed would otherwise have an unknowable content, and drift.
/// What settles it is the mtime. Every change to a file's content goes through a path that
/// stamps the mtime with the current time (write, truncate, fallocate, copy_file_range, the
/// first write fault on a shared mapping: file_modified / file_update_time), which is not
/// earlier than the <see cref="StartMark"/>; and an overlay copy-up keeps the mtime. So a file
/// on the root mount whose (device, inode, size, mtime) are still those it had, with that mtime
/// earlier than the mark, holds the content it had at the mark: the image's.
///
/// Userspace can set an mtime back, with utime, utimes, futimesat and utimensat (io_uring is
/// closed). Those calls reach PID 1 (the filter notifies them when drift prevention is on), and
/// while the stamps vouch for anything, each waits in its notification until the hashing is
/// over. Its target is a path or a descriptor PID 1 cannot pin down race-free, so none proceeds
/// before every file the stamps vouch for has been hashed. Then the stamps retire: from then on
/// only hashes speak, and the time calls go through at once. That costs a time call made in the
/// first seconds (touch, cp -p, tar) a wait for the hashing, and nothing afterwards.
///
/// The stamps also retire, at once, when a process runs in the container outside the filter (an
/// exec session before PID 1 captures it): it could set an mtime back unseen. Files whose
/// metadata changed before they were hashed are then drift, as before the stamps existed. And
/// they never vouch where the start mark vouches for nothing, where the clock was set, or on
/// a tmpfs root (<see cref="StartMark.MtimesCannotVouchReason"/>).
/// </summary>
internal sealed class ContentStamps(StartMark mark)
{
    private volatile string? _retiredBecause = mark.MtimesCannotVouchReason;
    private volatile bool _revoked;

    /// <summary>Whether the stamps may still vouch for a file (so time calls must wait for the hashing).</summary>
    public bool Active => _retiredBecause is null;

    /// <summary>Why they no longer do, or null.</summary>
    public string? RetiredBecause => _retiredBecause;

    /// <summary>Whether they were retired by <see cref="Revoke"/>: what was recorded on their word is withdrawn.</summary>
    public bool Revoked => _revoked;

    /// <summary>From now on the stamps vouch for nothing (their work is done). The first reason is kept.</summary>
    public void Retire(string reason) => Interlocked.CompareExchange(ref _retiredBecause, reason, null);

    /// <summary>
    /// From now on the stamps vouch for nothing, and what they vouched for so far is withdrawn
    /// (see <see cref="BaselineRecording.RevokeStamps"/>). True if this call retired them: after
    /// they retired on their own, what they vouched for stands.
    /// </summary>
    public bool Revoke(string reason)
    {
        if (Interlocked.CompareExchange(ref _retiredBecause, reason, null) is not null)
            return false;
        _revoked = true;
        return true;
    }

    /// <summary>
    /// The file recorded as <paramref name="recorded"/> (on the root mount, with an mtime earlier
    /// than the mark) is now <paramref name="current"/> with the same content: only its metadata
    /// (ctime, mode, owner, links, name) can have changed.
    /// </summary>
    public bool Vouch(in FileSignature recorded, in FileSignature current) =>
        Active &&
        current.MountId == mark.RootMountId && recorded.MountId == mark.RootMountId &&
        current.DevMajor == recorded.DevMajor && current.DevMinor == recorded.DevMinor && current.Inode == recorded.Inode &&
        current.Size == recorded.Size && current.MtimeSec == recorded.MtimeSec && current.MtimeNsec == recorded.MtimeNsec &&
        mark.IsBefore(recorded.MtimeSec, recorded.MtimeNsec) &&
        !mark.ClockWasSet() &&
        Active;   // asked again last: a retirement while the above was read is seen
}
