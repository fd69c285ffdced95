namespace MicroEnforcer.Seccomp;

/// <summary>
/// Whether a received notification's caller still waits in its call
/// (SECCOMP_IOCTL_NOTIF_ID_VALID): until then, what was read of it may belong to a recycled pid.
/// </summary>
internal interface INotificationValidity
{
    bool IsStillValid(ulong id);
}
