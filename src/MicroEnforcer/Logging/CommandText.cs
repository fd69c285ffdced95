using System.Text;

namespace MicroEnforcer.Logging;

/// <summary>
/// A command line as one log-safe line: arguments with spaces quoted, control characters
/// escaped (a newline in an argument must not forge a second log line), long ones cut.
/// </summary>
internal static class CommandText
{
    public const int MaxLength = 200;

    public static string Format(IReadOnlyList<string> argv)
    {
        var text = new StringBuilder();
        foreach (string arg in argv)
        {
            if (text.Length > 0)
                text.Append(' ');
            bool quote = arg.Length == 0 || arg.Any(c => c is ' ' or '"' or '\'' || char.IsControl(c));
            if (quote)
                text.Append('"');
            foreach (char c in arg)
            {
                switch (c)
                {
                    case '\n': text.Append("\\n"); break;
                    case '\t': text.Append("\\t"); break;
                    case '"': text.Append("\\\""); break;
                    case '\\': text.Append("\\\\"); break;
                    default:
                        if (char.IsControl(c))
                            text.Append($"\\x{(int)c:x2}");
                        else
                            text.Append(c);
                        break;
                }
            }
            if (quote)
                text.Append('"');
        }
        return text.Length <= MaxLength ? text.ToString() : text.ToString(0, MaxLength) + "…";
    }
}
