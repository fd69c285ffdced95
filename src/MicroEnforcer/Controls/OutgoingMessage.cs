using System.Net;

namespace MicroEnforcer.Controls;

/// <summary>
/// One message of a send, as PID 1 copied it out of the caller's memory, once: its data (every
/// iovec, in order), its destination sockaddr if it names one, and its control messages in the
/// native (64-bit) layout. PID 1 sends exactly this; what the caller's memory holds afterwards
/// changes nothing.
/// </summary>
internal sealed record OutgoingMessage(byte[] Data, byte[]? Name, byte[]? Control, IPEndPoint? Destination);
