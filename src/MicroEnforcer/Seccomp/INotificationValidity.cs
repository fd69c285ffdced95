namespace MicroEnforcer.Seccomp;

/// <summary>
/// Whether a received notification's caller still waits in its call
/// (SECCOMP_IOCTL_NOTIF_ID_VALID): until then, what was read of it may belong to a recycled pid.
/// </summary>
internal interface INotificationValidity
{
    bool IsStillValid(ulong id);
}

/// <summary>
/// A listener a control can answer a notification on later, from another thread (see
/// <c>SyscallVerdict.Deferred</c>): SECCOMP_IOCTL_NOTIF_SEND may be called from any thread.
/// </summary>
internal interface INotificationAnswers : INotificationValidity
{
    /// <summary>0: CONTINUE; a negative errno: the call fails with it.</summary>
    void Respond(ulong id, int negativeErrno);

    /// <summary>The call returns the value without running.</summary>
    void RespondWithValue(ulong id, long value);

    /// <summary>
    /// Installs PID 1's descriptor <paramref name="fd"/> in the caller (O_CLOEXEC when asked), and
    /// that answers the call with the new descriptor's number, which is returned; or -errno
    /// (ENOENT: the caller no longer waits, and got nothing).
    /// </summary>
    int RespondWithDescriptor(ulong id, int fd, bool closeOnExec);
}
