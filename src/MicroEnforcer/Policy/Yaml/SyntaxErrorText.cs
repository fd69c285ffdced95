using LibYaml = YamlDotNet.Core;

namespace MicroEnforcer.Policy.Yaml;

/// <summary>
/// Rewords YamlDotNet's syntax errors for a policy author, and moves their position to the
/// character to fix where YamlDotNet points elsewhere (a tab is reported at the start of its
/// mapping, an unterminated '[' at the end of the file).
/// </summary>
/// <remarks>
/// YamlDotNet's messages are libyaml's ("While parsing a block mapping, did not find expected
/// key."): they name the parser's state, not the mistake. Each one has a fixed text, so a message
/// is recognised by a fragment of it; the text around the position, and the collections still open
/// when the error struck, tell which mistake it was. A message not recognised here is passed on as
/// YamlDotNet wrote it, which is still an error at the right line.
/// </remarks>
internal sealed class SyntaxErrorText
{
    private readonly string[] _lines;
    private readonly string _path;
    private readonly OpenCollection? _block;
    private readonly OpenCollection? _flow;

    /// <param name="lines">The document's lines, without line breaks.</param>
    /// <param name="path">The field being parsed when the error struck.</param>
    /// <param name="block">The innermost block mapping or list still open, if any.</param>
    /// <param name="flow">The innermost flow mapping or list still open, if any.</param>
    public SyntaxErrorText(string[] lines, string path, OpenCollection? block, OpenCollection? flow)
    {
        _lines = lines;
        _path = path;
        _block = block;
        _flow = flow;
    }

    public YamlException Translate(LibYaml.YamlException ex)
    {
        int line = (int)ex.Start.Line, col = (int)ex.Start.Column;
        string message = ex.Message;
        if (ex is RefusedSyntaxException)
        {
            // Found between tokens, which may be before the parser hands over the last value: the
            // path of the flow collection the separator belongs to is the one that is sure.
            return new YamlException(message, line, col, _flow?.Path ?? _path);
        }

        if (_flow is { } open && AtEndOfContent(line, col))
        {
            return Unterminated(open);
        }

        if (message.Contains("tab", StringComparison.OrdinalIgnoreCase))
        {
            return TabError(line, col);
        }

        if (message.Contains("found character that cannot start any token", StringComparison.Ordinal))
        {
            char c = CharAt(line, col);
            return Error(line, col, c is '@' or '`'
                ? $"'{c}' is reserved in YAML and cannot start a plain value; quote the value"
                : $"unexpected character '{c}'; quote the value if it is text");
        }

        if (message.Contains("found invalid mapping", StringComparison.Ordinal)
            || message.Contains("did not find expected key", StringComparison.Ordinal)
            || message.Contains("could not find expected ':'", StringComparison.Ordinal))
        {
            return BlockStructureError(line, col, message);
        }

        if (message.Contains("quoted scalar", StringComparison.Ordinal))
        {
            return QuotedScalarError(line, col);
        }

        if (message.Contains("While parsing a flow", StringComparison.Ordinal) && message.Contains("did not find expected ','", StringComparison.Ordinal))
        {
            return FlowSeparatorError(line, col);
        }

        if (message.Contains("did not find expected node content", StringComparison.Ordinal))
        {
            char c = CharAt(line, col);
            return Error(line, col, c == '\0' ? "expected a value" : $"expected a value, found '{c}'");
        }

        if (message.Contains("Did not find expected <document end>", StringComparison.Ordinal))
        {
            return Error(line, col, "unexpected content after the end of the top-level value");
        }

        if (message.Contains("Block sequence entries are not allowed in this context", StringComparison.Ordinal))
        {
            return Error(line, col, "a list cannot start on the same line as its key; put each '- ' item on its own line");
        }

        if (message.Contains("found invalid comment after", StringComparison.Ordinal))
        {
            int hash = line <= _lines.Length ? _lines[line - 1].IndexOf('#', Math.Max(col - 1, 0)) : -1;
            return Error(line, hash >= 0 ? hash + 1 : col, "a comment must be separated from the value by a space");
        }

        return Error(line, col, Plain(message));
    }

    /// <summary>An exception YamlDotNet did not mean to throw (a bug on odd input): the position is all there is to go on.</summary>
    public YamlException Unexpected(LibYaml.Mark at)
    {
        int line = (int)at.Line, col = (int)at.Column;
        return _flow is { } flow
            ? Error(line, col, $"expected ',' or '{Close(flow)}' in the {What(flow)}, found '{CharAt(line, col)}'")
            : Error(line, col, "invalid YAML here");
    }

    /// <summary>A tab in the indentation: YamlDotNet reports it at its mapping, so find the tab itself.</summary>
    private YamlException TabError(int line, int col)
    {
        for (int i = Math.Max(line, 1) - 1; i < _lines.Length; i++)
        {
            string s = _lines[i];
            int start = 0;
            while (start < s.Length && s[start] is ' ' or '\t')
            {
                start++;
            }

            int tab = s.IndexOf('\t', 0, start);
            if (tab >= 0 && start < s.Length && s[start] != '#')
            {
                return Error(i + 1, tab + 1, "tab characters cannot be used for indentation; use spaces");
            }
        }

        return Error(line, col, "tab characters cannot be used for indentation; use spaces");
    }

    /// <summary>A line that does not fit the block structure around it: over- or under-indented, a stray list item or value, a key without ': '.</summary>
    private YamlException BlockStructureError(int line, int col, string message)
    {
        int indent = Indent(line);
        char c = CharAt(line, col);
        bool listItem = c == '-' && CharAt(line, col + 1) is ' ' or '\0';
        if (_block is { } block && _flow is null && indent != block.Column - 1)
        {
            return new YamlException(
                $"inconsistent indentation: found {indent} spaces where {block.Column - 1} were expected", line, indent + 1, block.Path);
        }

        if (listItem && _block is { IsSequence: false })
        {
            return Error(line, col, "unexpected list item: expected 'key: value' at this indentation");
        }

        if (message.Contains("found invalid mapping", StringComparison.Ordinal))
        {
            return Error(line, col, "unexpected ': ' inside a value; quote the value, or start a nested mapping on its own, more indented line");
        }

        string rest = RestOfLine(line, col);
        if (col - 1 > indent)
        {
            return Error(line, col, $"unexpected '{rest.Split(' ', '\t')[0]}' after the value");
        }

        if (_block is { IsSequence: true })
        {
            return Error(line, col, $"expected a list item ('- ') at this indentation, found '{rest}'");
        }

        return Error(line, col, rest.Contains(':', StringComparison.Ordinal)
            ? $"expected 'key: value', found '{rest}' (a ':' must be followed by a space)"
            : $"expected 'key: value', found '{rest}'");
    }

    /// <summary>An unterminated string, or a bad escape, which YamlDotNet reports at the opening quote.</summary>
    private YamlException QuotedScalarError(int line, int col)
    {
        char quote = CharAt(line, col);
        if (quote == '"' && FindBadEscape(line, col) is var (escLine, escCol, problem))
        {
            return Error(escLine, escCol, problem);
        }

        return Error(line, col, quote == '"'
            ? "unterminated double-quoted string: missing closing '\"' on this line"
            : "unterminated single-quoted string: missing closing \"'\" on this line");
    }

    /// <summary>The first escape sequence in the double-quoted string opening at (line, col) that YAML does not define.</summary>
    private (int Line, int Column, string Problem)? FindBadEscape(int line, int col)
    {
        string s = _lines[line - 1];
        for (int i = col; i < s.Length; i++)
        {
            if (s[i] == '"')
            {
                return null;
            }

            if (s[i] != '\\')
            {
                continue;
            }

            if (i + 1 == s.Length)
            {
                return null; // escapes the line break: the string runs on, unterminated
            }

            char c = s[i + 1];
            int digits = c switch { 'x' => 2, 'u' => 4, 'U' => 8, _ => 0 };
            if (digits > 0)
            {
                for (int d = 0; d < digits; d++)
                {
                    if (i + 2 + d >= s.Length || !char.IsAsciiHexDigit(s[i + 2 + d]))
                    {
                        return (line, i + 1, $"invalid escape: '\\{c}' must be followed by {digits} hexadecimal digits");
                    }
                }

                i += 1 + digits;
            }
            else if ("0abt\tnvfre \"/\\N_LP".Contains(c, StringComparison.Ordinal))
            {
                i++;
            }
            else
            {
                return (line, i + 1, $"unknown escape sequence '\\{c}' in double-quoted string");
            }
        }

        return null;
    }

    /// <summary>A flow collection missing a ',' or never closed; YamlDotNet reports the latter at the end of the file.</summary>
    private YamlException FlowSeparatorError(int line, int col)
    {
        if (_flow is not { } flow)
        {
            return Error(line, col, "expected ',' or a closing bracket");
        }

        return Error(line, col, $"expected ',' or '{Close(flow)}' in the {What(flow)}, found '{CharAt(line, col)}'");
    }

    private static YamlException Unterminated(OpenCollection flow)
    {
        string message = flow.IsSequence
            ? "unterminated flow list: '[' is never closed with ']'"
            : "unterminated flow mapping: '{' is never closed with '}'";
        return new YamlException(message, flow.Line, flow.Column, flow.Path);
    }

    private static char Close(OpenCollection flow) => flow.IsSequence ? ']' : '}';

    private static string What(OpenCollection flow) => flow.IsSequence ? "list" : "mapping";

    /// <summary>"While parsing a node, did not find expected token." → "did not find expected token".</summary>
    private static string Plain(string message)
    {
        message = message.TrimEnd('.');
        return message.Length == 0 ? "invalid YAML" : char.ToLowerInvariant(message[0]) + message[1..];
    }

    private char CharAt(int line, int col)
    {
        if (line < 1 || line > _lines.Length || col < 1)
        {
            return '\0';
        }

        string s = _lines[line - 1];
        return col <= s.Length ? s[col - 1] : '\0';
    }

    private int Indent(int line)
    {
        if (line < 1 || line > _lines.Length)
        {
            return 0;
        }

        string s = _lines[line - 1];
        int i = 0;
        while (i < s.Length && s[i] == ' ')
        {
            i++;
        }

        return i;
    }

    private string RestOfLine(int line, int col)
    {
        if (line < 1 || line > _lines.Length || col > _lines[line - 1].Length)
        {
            return string.Empty;
        }

        string rest = _lines[line - 1][(col - 1)..];
        int comment = rest.IndexOf(" #", StringComparison.Ordinal);
        return (comment >= 0 ? rest[..comment] : rest).TrimEnd(' ', '\t');
    }

    /// <summary>Whether nothing but blanks and comments follows (line, col).</summary>
    private bool AtEndOfContent(int line, int col)
    {
        for (int i = Math.Max(line, 1) - 1; i < _lines.Length; i++)
        {
            string s = i == line - 1 && col - 1 <= _lines[i].Length ? _lines[i][(Math.Max(col, 1) - 1)..] : _lines[i];
            string trimmed = s.TrimStart(' ', '\t');
            if (trimmed.Length > 0 && trimmed[0] != '#')
            {
                return false;
            }
        }

        return true;
    }

    private YamlException Error(int line, int col, string message) => new(message, line, col, _path);
}
