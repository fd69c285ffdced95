namespace MicroEnforcer.Controls;

/// <summary>What an <see cref="ExecTarget"/> is to the exec that runs it.</summary>
internal enum ExecRole : byte
{
    /// <summary>The file the exec names (at entry), or the image the kernel loaded (at the exec event).</summary>
    Program,

    /// <summary>A "#!" script its interpreter will read, judged at the exec event (see Ptrace.ShebangScripts).</summary>
    Script,

    /// <summary>
    /// The ELF interpreter (PT_INTERP, e.g. ld.so) the kernel mapped for a dynamically linked
    /// image. Not a program anyone chose to run: controls that judge what runs by name or path
    /// (Executables Allowed and Blocked) leave it to those that judge its content (drift). An
    /// ELF interpreter run as a program is a <see cref="Program"/>.
    /// </summary>
    ElfInterpreter,
}
