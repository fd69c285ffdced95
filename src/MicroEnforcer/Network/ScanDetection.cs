using System.Net;

namespace MicroEnforcer.Network;

/// <summary>
/// An initiator that crossed a threshold of <see cref="ScanDetector"/>: what to report, taken
/// under its lock.
/// </summary>
/// <param name="Pid">The process reported: the one that made the tries, or the parent of the processes that did.</param>
/// <param name="ByChildren">Its own tries do not cross the threshold: its child processes' tries, counted with its own, do (a shell loop of one-port probes).</param>
/// <param name="Host">A port scan: the host whose ports were tried; null for a host sweep.</param>
/// <param name="Port">A host sweep: the port tried on every host; null for a port scan.</param>
/// <param name="Crossed">The number that crossed the threshold: ports of <see cref="Host"/>, or hosts on <see cref="Port"/>.</param>
/// <param name="Count">The distinct targets (host and port) the initiator tried within the window.</param>
/// <param name="Failures">How many of them failed when tried (refused, unreachable...): a non-blocking connect's outcome comes later, and is not counted.</param>
/// <param name="Sample">The first targets of the window, oldest first, "host:port" (at most <see cref="ScanDetector.SampleSize"/>).</param>
internal sealed record ScanDetection(int Pid, bool ByChildren, IPAddress? Host, int? Port, int Crossed, int Count, int Failures,
    IReadOnlyList<string> Sample);
