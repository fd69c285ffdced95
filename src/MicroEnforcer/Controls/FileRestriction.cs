namespace MicroEnforcer.Controls;

/// <summary>
/// Rights a control takes away from one path at launch (File Block, Read-Only, Package Block):
/// the path as the kernel resolves it from the root at start (symlinks resolved), a directory
/// with everything beneath it. It need not exist: a path created later is covered too.
/// </summary>
/// <param name="Path">Absolute, normalised, symlinks resolved.</param>
/// <param name="Denied">The rights taken away.</param>
/// <param name="Control">The control that takes them (its audit name).</param>
/// <param name="Entry">The policy entry it comes from, for messages.</param>
internal sealed record FileRestriction(string Path, FileRights Denied, string Control, string Entry);

/// <summary>
/// Rights a control gives back beneath one of its own restrictions (Read-Only's <c>exceptions</c>):
/// only the rights <see cref="Control"/>'s own restrictions took, never another control's.
/// </summary>
internal sealed record FileException(string Path, FileRights Restored, string Control, string Entry);
