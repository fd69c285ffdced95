namespace MicroEnforcer.Network;

/// <summary>The process whose socket the DNS gate stands in for, as the reports name it.</summary>
/// <param name="Pid">Its thread group.</param>
/// <param name="Tid">The thread that connected the socket.</param>
/// <param name="Process">Its executable or command, as the network controls' reports name processes.</param>
internal sealed record DnsCaller(int Pid, int Tid, string Process);
