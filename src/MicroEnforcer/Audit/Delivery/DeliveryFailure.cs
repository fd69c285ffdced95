namespace MicroEnforcer.Audit.Delivery;

/// <summary>
/// A delivery that failed in a way that may pass (a 5xx, 408, 429, a refused or broken
/// connection, a timeout): the sender keeps the batch and tries again, after
/// <see cref="RetryAfter"/> when the receiver said how long to wait.
/// </summary>
internal sealed class DeliveryFailure(string message, TimeSpan? retryAfter = null, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The receiver's Retry-After (429, 503), from now; null when it gave none.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// The receiver refused the batch for good (a 4xx other than 408 and 429: a malformed request or
/// a refused token, which sending it again will not change): the batch is dropped and logged.
/// </summary>
internal sealed class DeliveryRefused(string message) : Exception(message);
