using System.Text;
using MicroEnforcer.Audit.Schema.V1;

namespace MicroEnforcer.Audit;

/// <summary>
/// One line of text a person reads first (OTLP's body, Falco's output): what control did what,
/// to which file, for which process, and why. Control characters (a newline in a file name) are
/// shown as \xNN so that the line stays one line.
/// </summary>
internal static class AuditSummary
{
    public static string Line(Event e)
    {
        var text = new StringBuilder(128);
        text.Append(e.Control).Append(' ').Append(AuditSchema.ActionName(e.Action));
        if (AuditSchema.IsAboutAProcess(e))
        {
            text.Append(' ').Append(e.Syscall).Append(' ').Append(e.Path);
            if (e.HasRequestedPath && e.RequestedPath != e.Path)
                text.Append(" (as ").Append(e.RequestedPath).Append(')');
            if (e.HasRemote)
                text.Append(" to ").Append(e.Remote);
            text.Append(" by pid ").Append(e.Pid);
            if (e.HasCmdline)
                text.Append(" (").Append(e.Cmdline).Append(')');
        }
        text.Append(": ").Append(e.Reason);
        return OneLine(text);
    }

    private static string OneLine(StringBuilder text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsControl(c))
            {
                text.Remove(i, 1).Insert(i, $"\\x{(int)c:x2}");
                i += 3;
            }
        }
        return text.ToString();
    }
}
