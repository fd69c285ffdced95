namespace MicroEnforcer.Controls;

/// <summary>
/// Whether an interpreter, by its name and argv, reads the program it runs from its standard
/// input (or a terminal there): no script operand and no command option, or an option that says
/// "interactive" or "read stdin". That is what separates `sh -i` fed by a relay from `sh -c CMD`
/// (popen, subprocess with shell=True), `sh script.sh` and CI agents running `sh -xe script`,
/// which do not take their commands from the stream on their stdin.
///
/// Hand-written: option syntax differs per interpreter family and no library parses it. Options
/// are followed only as far as the question needs: which take a value (so that the value is not
/// taken for a script), which name a command, which say interactive.
/// </summary>
internal static class InterpreterInput
{
    private enum Family
    {
        /// <summary>Not a program reader at all: relays and one-shot tools (nc, socat, ssh, awk...).</summary>
        None,
        Shell,
        Python,
        Perl,
        Ruby,
        Php,
        Node,
        Lua,
        Tcl,
    }

    public static bool ReadsProgramFromStdin(string name, IReadOnlyList<string> argv)
    {
        Family family = FamilyOf(name);
        if (family == Family.None)
            return false;
        bool stdinFlag = false;
        for (int i = 1; i < argv.Count; i++)
        {
            string arg = argv[i];
            if (arg == "--")
                return stdinFlag || i + 1 >= argv.Count || argv[i + 1] == "-";
            if (arg == "-")
                return true;   // the program is read from stdin, by name
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                switch (LongOption(family, arg))
                {
                    case Option.Command:
                        return stdinFlag;
                    case Option.Interactive:
                        stdinFlag = true;
                        break;
                    case Option.TakesValue when !arg.Contains('='):
                        i++;
                        break;
                }
                continue;
            }
            if (arg.Length > 1 && (arg[0] == '-' || (arg[0] == '+' && family == Family.Shell)))
            {
                switch (ShortOptions(family, arg))
                {
                    case Option.Command:
                        return stdinFlag;
                    case Option.Interactive:
                        stdinFlag = true;
                        break;
                    case Option.TakesValue:
                        i++;
                        break;
                    case Option.InteractiveTakesValue:
                        stdinFlag = true;
                        i++;
                        break;
                }
                continue;
            }
            return stdinFlag;   // a script operand: the program is that file (unless told to go interactive after it)
        }
        return true;   // nothing but options: the program comes from stdin
    }

    private enum Option
    {
        Plain,
        Command,
        Interactive,
        TakesValue,
        InteractiveTakesValue,
    }

    private static Family FamilyOf(string name)
    {
        switch (name)
        {
            case "sh" or "bash" or "dash" or "ash" or "zsh" or "ksh" or "mksh" or "csh" or "tcsh" or "fish" or "rbash" or "hush":
                return Family.Shell;
            case "node" or "nodejs":
                return Family.Node;
        }
        if (name.StartsWith("python", StringComparison.Ordinal) || name.StartsWith("pypy", StringComparison.Ordinal))
            return Family.Python;
        if (name.StartsWith("perl", StringComparison.Ordinal))
            return Family.Perl;
        if (name.StartsWith("ruby", StringComparison.Ordinal))
            return Family.Ruby;
        if (name.StartsWith("php", StringComparison.Ordinal))
            return Family.Php;
        if (name.StartsWith("lua", StringComparison.Ordinal))
            return Family.Lua;
        if (name.StartsWith("tclsh", StringComparison.Ordinal) || name.StartsWith("wish", StringComparison.Ordinal))
            return Family.Tcl;
        return Family.None;
    }

    private static Option LongOption(Family family, string arg)
    {
        string name = arg.Contains('=') ? arg[..arg.IndexOf('=')] : arg;
        return (family, name) switch
        {
            (Family.Shell, "--rcfile" or "--init-file") => Option.TakesValue,
            (Family.Shell, "--command") => Option.Command,   // fish
            (Family.Node, "--eval" or "--print") => Option.Command,
            (Family.Node, "--interactive") => Option.Interactive,
            (Family.Node, "--require" or "--import" or "--loader" or "--input-type") => Option.TakesValue,
            (Family.Python, "--check-hash-based-pycs") => Option.TakesValue,
            _ => Option.Plain,
        };
    }

    // A cluster of short options ("-xe", "-ic", "-uc"): the first letter that decides wins; a
    // letter that takes a value ends the cluster (the value is the rest, or the next argument).
    private static Option ShortOptions(Family family, string cluster)
    {
        bool interactive = false;
        for (int i = 1; i < cluster.Length; i++)
        {
            char letter = cluster[i];
            bool valueAttached = i + 1 < cluster.Length;
            switch (family)
            {
                case Family.Shell:
                    if (cluster[0] == '-' && letter == 'c')
                        return Option.Command;
                    if (cluster[0] == '-' && letter == 's')
                        interactive = true;   // commands from stdin, whatever follows (-i alone says nothing more than no operand)
                    else if (letter is 'o' or 'O')
                        return interactive ? Option.InteractiveTakesValue : Option.TakesValue;
                    break;
                case Family.Python:
                    if (letter is 'c' or 'm')
                        return Option.Command;
                    if (letter == 'i')
                        interactive = true;
                    else if (letter is 'W' or 'X' or 'Q')
                        return Value(interactive, valueAttached);
                    break;
                case Family.Perl or Family.Ruby:
                    if (letter is 'e' or 'E')
                        return Option.Command;
                    if (letter is 'I' or 'M' or 'm' or 'x' or 'l' or '0' or 'd' or 'D' or 'C' or 'i' or 'r' or 'F' or 'K' or 'T' or 'W' or 'V')
                        return valueAttached || letter is not ('I' or 'C' or 'r') ? Option.Plain : Option.TakesValue;
                    break;
                case Family.Php:
                    if (letter is 'r' or 'f' or 'R' or 'F' or 'B' or 'E')
                        return Option.Command;
                    if (letter == 'a')
                        interactive = true;
                    else if (letter is 'c' or 'd' or 'z' or 't')
                        return Value(interactive, valueAttached);
                    break;
                case Family.Node:
                    if (letter is 'e' or 'p')
                        return Option.Command;
                    if (letter == 'i')
                        interactive = true;
                    else if (letter == 'r')
                        return Value(interactive, valueAttached);
                    break;
                case Family.Lua:
                    if (letter == 'e')
                        return Option.Command;
                    if (letter == 'i')
                        interactive = true;
                    else if (letter == 'l')
                        return Value(interactive, valueAttached);
                    break;
                case Family.Tcl:
                    if (cluster == "-encoding")
                        return Option.TakesValue;
                    return Option.Plain;
            }
        }
        return interactive ? Option.Interactive : Option.Plain;
    }

    private static Option Value(bool interactive, bool attached) =>
        attached ? (interactive ? Option.Interactive : Option.Plain) : (interactive ? Option.InteractiveTakesValue : Option.TakesValue);
}
