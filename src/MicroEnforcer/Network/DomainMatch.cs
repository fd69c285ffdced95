namespace MicroEnforcer.Network;

/// <summary>A looked-up name found on a control's list.</summary>
/// <param name="Control">The control whose list has it (its audit name).</param>
/// <param name="Entry">The list's entry that matched (the name itself or a domain it is under).</param>
/// <param name="Enforce">Refuse the lookup (enforce mode); false: let it through and report it (audit mode).</param>
internal readonly record struct DomainMatch(string Control, string Entry, bool Enforce);
