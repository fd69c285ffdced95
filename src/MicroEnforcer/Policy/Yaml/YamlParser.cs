using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace MicroEnforcer.Policy.Yaml;

/// <summary>
/// Parser for the YAML subset used by policy files: block and flow mappings and sequences, plain and
/// quoted scalars, comments. JSON is YAML flow syntax, so JSON policies parse here too.
/// </summary>
/// <remarks>
/// Anchors, aliases, tags, block scalars, multi-line plain scalars and multiple documents are
/// rejected rather than half-supported: a security policy should mean exactly what it looks like,
/// and an explicit error beats a surprising interpretation.
/// The cursor is (<see cref="_line"/>, <see cref="_col"/>), both 0-based. On a content line it sits
/// on the first non-space character, so the column there is that line's indentation (or, after
/// <c>- </c>, the column of a compact nested node). A node that ends with its line leaves the cursor
/// at that line's end; the enclosing collection moves on (<see cref="NextLineIfDone"/>) only after
/// leaving the node's path, so errors on the following line name the right field.
/// </remarks>
internal sealed class YamlParser
{
    // Policies are a few levels deep; the limit keeps hostile input from overflowing the stack.
    private const int MaxDepth = 64;

    private readonly string[] _lines;
    private readonly List<string> _path = [];
    private int _line;
    private int _col;
    private int _depth;

    private YamlParser(string text)
    {
        _lines = text.Split('\n');
        for (int i = 0; i < _lines.Length; i++)
        {
            string line = _lines[i];
            if (line.EndsWith('\r'))
            {
                _lines[i] = line = line[..^1];
            }

            for (int col = 0; col < line.Length; col++)
            {
                char c = line[col];
                if ((c < ' ' && c != '\t') || c == '\x7f')
                {
                    throw Error(i, col, $"control character U+{(int)c:X4} is not allowed");
                }
            }
        }
    }

    private string Current => _lines[_line];

    private bool AtEnd => _line >= _lines.Length;

    /// <summary>Parses one document; returns null when it holds nothing but blank lines and comments.</summary>
    /// <exception cref="YamlException">The text is not valid YAML, or uses a feature policies do not support.</exception>
    public static YamlNode? Parse(string text)
    {
        var parser = new YamlParser(text.StartsWith('\uFEFF') ? text[1..] : text);
        return parser.ParseDocument();
    }

    private YamlNode? ParseDocument()
    {
        if (!MoveToContent(allowDocumentStart: true))
        {
            return null;
        }

        YamlNode root = ParseBlockNode();
        NextLineIfDone();
        if (!AtEnd)
        {
            throw Error(_line, _col, "unexpected content after the end of the top-level value");
        }

        return root;
    }

    // ---- Block structure -------------------------------------------------------------------

    private YamlNode ParseBlockNode()
    {
        Enter();
        int indent = _col;
        YamlNode node;
        if (AtSequenceItem())
        {
            node = ParseBlockSequence(indent, sharesIndentWithKey: false);
        }
        else if (AtBlockKey())
        {
            node = ParseBlockMapping(indent);
        }
        else
        {
            node = ParseInlineValue(flow: false);
            ExpectLineEnd();
        }

        _depth--;
        return node;
    }

    private YamlMapping ParseBlockMapping(int indent)
    {
        int startLine = _line;
        var entries = new List<YamlMappingEntry>();
        var seen = new Dictionary<string, YamlScalar>(StringComparer.Ordinal);
        while (true)
        {
            if (!TryReadBlockKey(out YamlScalar? key))
            {
                if (AtSequenceItem())
                {
                    throw Error(_line, _col, "unexpected list item: expected 'key: value' at this indentation");
                }

                RejectUnsupported(flow: false);
                string text = RestOfLine();
                throw Error(_line, _col, text.Contains(':', StringComparison.Ordinal)
                    ? $"expected 'key: value', found '{text}' (a ':' must be followed by a space)"
                    : $"expected 'key: value', found '{text}'");
            }

            AddKey(seen, key);
            _path.Add(key.Value);
            entries.Add(new YamlMappingEntry(key, ParseBlockMappingValue(indent)));
            _path.RemoveAt(_path.Count - 1);
            NextLineIfDone();

            if (AtEnd || _col < indent)
            {
                break;
            }

            if (_col > indent)
            {
                throw BadIndentation(indent);
            }
        }

        return new YamlMapping(entries, startLine + 1, indent + 1);
    }

    /// <summary>Parses what follows <c>key:</c>; the cursor is just after the colon.</summary>
    private YamlNode ParseBlockMappingValue(int indent)
    {
        int valueLine = _line, valueCol = _col;
        SkipSpaces(allowTabs: true);
        if (AtLineEndOrComment())
        {
            bool more = NextLine();
            if (more && _col > indent)
            {
                return ParseBlockNode();
            }

            // YAML lets a list sit at the same indentation as its key ("key:\n- a").
            if (more && _col == indent && AtSequenceItem())
            {
                return ParseBlockSequence(indent, sharesIndentWithKey: true);
            }

            return new YamlScalar(string.Empty, isQuoted: false, valueLine + 1, valueCol + 1);
        }

        if (AtSequenceItem())
        {
            throw Error(_line, _col, "a list cannot start on the same line as its key; put each '- ' item on its own line");
        }

        YamlNode value = ParseInlineValue(flow: false);
        ExpectLineEnd();
        return value;
    }

    private YamlSequence ParseBlockSequence(int indent, bool sharesIndentWithKey)
    {
        int startLine = _line;
        var items = new List<YamlNode>();
        while (true)
        {
            _col++; // past '-'
            int itemLine = _line, itemCol = _col;
            SkipSpaces(allowTabs: false);
            _path.Add($"[{items.Count}]");
            YamlNode item;
            if (AtLineEndOrComment())
            {
                item = NextLine() && _col > indent
                    ? ParseBlockNode()
                    : new YamlScalar(string.Empty, isQuoted: false, itemLine + 1, itemCol + 1);
            }
            else
            {
                // A compact node ("- key: v", "- - x") lives at the column after the dash.
                item = ParseBlockNode();
            }

            _path.RemoveAt(_path.Count - 1);
            items.Add(item);
            NextLineIfDone();

            if (AtEnd || _col < indent)
            {
                break;
            }

            if (_col > indent)
            {
                throw BadIndentation(indent);
            }

            if (!AtSequenceItem())
            {
                if (sharesIndentWithKey)
                {
                    break; // the next key of the enclosing mapping
                }

                throw Error(_line, _col, "expected a list item ('- ') at this indentation");
            }
        }

        return new YamlSequence(items, startLine + 1, indent + 1);
    }

    /// <summary>Reads <c>key:</c> at the cursor; on failure the cursor is unchanged.</summary>
    private bool TryReadBlockKey([NotNullWhen(true)] out YamlScalar? key)
    {
        int start = _col;
        string s = Current;
        key = null;
        if (s[start] is '"' or '\'')
        {
            YamlScalar quoted = ReadQuoted();
            SkipSpaces(allowTabs: true);
            if (Peek() == ':')
            {
                _col++;
                key = quoted;
                return true;
            }

            _col = start;
            return false;
        }

        if (!CanStartPlain(flow: false))
        {
            return false;
        }

        for (int i = start; i < s.Length; i++)
        {
            if (s[i] == ':' && (i + 1 == s.Length || s[i + 1] is ' ' or '\t'))
            {
                key = new YamlScalar(s[start..i].TrimEnd(' ', '\t'), isQuoted: false, _line + 1, start + 1);
                _col = i + 1;
                return true;
            }

            if (s[i] == '#' && s[i - 1] is ' ' or '\t')
            {
                break;
            }
        }

        return false;
    }

    private bool AtBlockKey()
    {
        int save = _col;
        bool found = TryReadBlockKey(out _);
        _col = save;
        return found;
    }

    private bool AtSequenceItem()
    {
        if (Peek() != '-')
        {
            return false;
        }

        char next = Peek(1);
        if (next == '\t')
        {
            throw Error(_line, _col + 1, "a tab cannot follow '-'; use a space");
        }

        return next is ' ' or '\0';
    }

    /// <summary>Rejects anything but a comment after a value that should end its line.</summary>
    private void ExpectLineEnd()
    {
        int valueEnd = _col;
        SkipSpaces(allowTabs: true);
        if (!AtLineEndOrComment())
        {
            throw Error(_line, _col, $"unexpected '{Peek()}' after the value");
        }

        if (Peek() == '#' && _col == valueEnd)
        {
            throw Error(_line, _col, "a comment must be separated from the value by a space");
        }
    }

    /// <summary>Moves to the next content line if the cursor is at the end of a finished line.</summary>
    private void NextLineIfDone()
    {
        // On a content line the cursor is never on '#' or past the end, so this only fires after
        // ExpectLineEnd.
        if (!AtEnd && AtLineEndOrComment())
        {
            NextLine();
        }
    }

    // ---- Values ----------------------------------------------------------------------------

    private YamlNode ParseInlineValue(bool flow)
    {
        switch (Peek())
        {
            case '[':
                return ParseFlowSequence();
            case '{':
                return ParseFlowMapping();
            case '"' or '\'':
                return ReadQuoted();
        }

        RejectUnsupported(flow);
        if (CanStartPlain(flow))
        {
            return ReadPlain(flow);
        }

        char c = Peek();
        throw Error(_line, _col, c == '\0' ? "expected a value" : $"expected a value, found '{c}'");
    }

    private void RejectUnsupported(bool flow)
    {
        char next = Peek(1);
        string? problem = Peek() switch
        {
            '&' => "anchors ('&') are not supported in policy files",
            '*' => "aliases ('*') are not supported in policy files",
            '!' => "tags ('!') are not supported in policy files",
            '|' or '>' => "block scalars ('|' and '>') are not supported in policy files; use a quoted string",
            '%' => "directives ('%') are not supported in policy files",
            '@' or '`' => $"'{Peek()}' is reserved in YAML and cannot start a plain value; quote the value",
            '?' when next is ' ' or '\0' || (flow && IsFlowIndicator(next)) => "complex keys ('?') are not supported in policy files",
            '#' => "a comment must be separated from what precedes it by a space",
            _ => null,
        };
        if (problem is not null)
        {
            throw Error(_line, _col, problem);
        }
    }

    private bool CanStartPlain(bool flow)
    {
        char c = Peek();
        if (c is '-' or '?' or ':')
        {
            // "-1", "-rf" and ":x" are plain text; "- ", "? " and ": " are indicators.
            char next = Peek(1);
            return next is not ('\0' or ' ' or '\t') && !(flow && IsFlowIndicator(next));
        }

        return c is not ('\0' or ' ' or '\t' or ',' or '[' or ']' or '{' or '}' or '#' or '&' or '*' or '!'
            or '|' or '>' or '\'' or '"' or '%' or '@' or '`');
    }

    private static bool IsFlowIndicator(char c) => c is ',' or '[' or ']' or '{' or '}';

    private YamlScalar ReadPlain(bool flow)
    {
        string s = Current;
        int start = _col;
        int i = start;
        for (; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '#' && s[i - 1] is ' ' or '\t')
            {
                break;
            }

            if (c == ':' && (i + 1 == s.Length || s[i + 1] is ' ' or '\t' || (flow && IsFlowIndicator(s[i + 1]))))
            {
                if (flow)
                {
                    break; // the key/value separator of a flow mapping
                }

                throw Error(_line, i, "unexpected ': ' inside a value; quote the value, or start a nested mapping on its own, more indented line");
            }

            if (flow && IsFlowIndicator(c))
            {
                break;
            }
        }

        string value = s[start..i].TrimEnd(' ', '\t');
        _col = start + value.Length;
        return new YamlScalar(value, isQuoted: false, _line + 1, start + 1);
    }

    /// <summary>Reads a single- or double-quoted scalar; quoted scalars may not span lines.</summary>
    private YamlScalar ReadQuoted()
    {
        string s = Current;
        char quote = s[_col];
        int startCol = _col;
        var value = new StringBuilder();
        int i = _col + 1;
        while (true)
        {
            if (i >= s.Length)
            {
                throw Error(_line, startCol, quote == '"'
                    ? "unterminated double-quoted string: missing closing '\"' on this line"
                    : "unterminated single-quoted string: missing closing \"'\" on this line");
            }

            char c = s[i];
            if (c == quote)
            {
                if (quote == '\'' && i + 1 < s.Length && s[i + 1] == '\'')
                {
                    value.Append('\''); // '' is YAML's escaped single quote
                    i += 2;
                    continue;
                }

                i++;
                break;
            }

            // A backslash ending the line escapes nothing: fall through and report the missing quote.
            if (c == '\\' && quote == '"' && i + 1 < s.Length)
            {
                i = ReadEscape(s, i, value);
                continue;
            }

            value.Append(c);
            i++;
        }

        _col = i;
        return new YamlScalar(value.ToString(), isQuoted: true, _line + 1, startCol + 1);
    }

    /// <summary>Appends the escape starting at the backslash at <paramref name="i"/>; returns the index after it.</summary>
    private int ReadEscape(string s, int i, StringBuilder value)
    {
        char c = s[i + 1];
        char? simple = c switch
        {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'b' => '\b',
            'f' => '\f',
            '0' => '\0',
            _ => null,
        };
        if (simple is char ch)
        {
            value.Append(ch);
            return i + 2;
        }

        if (c == 'u')
        {
            if (i + 6 > s.Length || !ushort.TryParse(s.AsSpan(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort code))
            {
                throw Error(_line, i, "invalid escape: '\\u' must be followed by 4 hexadecimal digits");
            }

            value.Append((char)code);
            return i + 6;
        }

        throw Error(_line, i, $"unknown escape sequence '\\{c}' in double-quoted string");
    }

    // ---- Flow collections ------------------------------------------------------------------

    private YamlSequence ParseFlowSequence()
    {
        Enter();
        int openLine = _line, openCol = _col;
        var items = new List<YamlNode>();
        _col++;
        SkipFlowSpace(openLine, openCol);
        if (Peek() == ']')
        {
            _col++;
        }
        else
        {
            while (true)
            {
                _path.Add($"[{items.Count}]");
                items.Add(ParseInlineValue(flow: true));
                _path.RemoveAt(_path.Count - 1);
                if (FlowSeparator(openLine, openCol, ']', "list"))
                {
                    break;
                }
            }
        }

        _depth--;
        return new YamlSequence(items, openLine + 1, openCol + 1);
    }

    private YamlMapping ParseFlowMapping()
    {
        Enter();
        int openLine = _line, openCol = _col;
        var entries = new List<YamlMappingEntry>();
        var seen = new Dictionary<string, YamlScalar>(StringComparer.Ordinal);
        _col++;
        SkipFlowSpace(openLine, openCol);
        if (Peek() == '}')
        {
            _col++;
        }
        else
        {
            while (true)
            {
                YamlScalar key = ReadFlowKey();
                SkipFlowSpace(openLine, openCol);
                if (Peek() != ':')
                {
                    throw Error(_line, _col, $"expected ':' after key '{key.Value}'");
                }

                _col++;
                AddKey(seen, key);
                _path.Add(key.Value);
                SkipFlowSpace(openLine, openCol);
                YamlNode value = Peek() is ',' or '}'
                    ? new YamlScalar(string.Empty, isQuoted: false, _line + 1, _col + 1)
                    : ParseInlineValue(flow: true);
                _path.RemoveAt(_path.Count - 1);
                entries.Add(new YamlMappingEntry(key, value));
                if (FlowSeparator(openLine, openCol, '}', "mapping"))
                {
                    break;
                }
            }
        }

        _depth--;
        return new YamlMapping(entries, openLine + 1, openCol + 1);
    }

    private YamlScalar ReadFlowKey()
    {
        char c = Peek();
        if (c is '"' or '\'')
        {
            return ReadQuoted();
        }

        if (c is '[' or '{')
        {
            throw Error(_line, _col, "a list or mapping cannot be used as a mapping key");
        }

        RejectUnsupported(flow: true);
        if (!CanStartPlain(flow: true))
        {
            throw Error(_line, _col, $"expected a key, found '{c}'");
        }

        return ReadPlain(flow: true);
    }

    /// <summary>Consumes the ',' or closing bracket after a flow item; returns true at the end of the collection.</summary>
    private bool FlowSeparator(int openLine, int openCol, char close, string what)
    {
        SkipFlowSpace(openLine, openCol);
        char c = Peek();
        if (c == close)
        {
            _col++;
            return true;
        }

        if (c != ',')
        {
            throw Error(_line, _col, $"expected ',' or '{close}' in the {what}, found '{c}'");
        }

        int commaLine = _line, commaCol = _col;
        _col++;
        SkipFlowSpace(openLine, openCol);
        if (Peek() == close)
        {
            // YAML would accept it, JSON would not; policies take the stricter reading.
            throw Error(commaLine, commaCol, $"trailing comma before '{close}' is not allowed");
        }

        return false;
    }

    /// <summary>Skips spaces, tabs, comments and line breaks inside a flow collection.</summary>
    private void SkipFlowSpace(int openLine, int openCol)
    {
        while (!AtEnd)
        {
            string s = Current;
            while (_col < s.Length && s[_col] is ' ' or '\t')
            {
                _col++;
            }

            bool comment = _col < s.Length && s[_col] == '#' && (_col == 0 || s[_col - 1] is ' ' or '\t');
            if (_col < s.Length && !comment)
            {
                return;
            }

            _line++;
            _col = 0;
        }

        char open = _lines[openLine][openCol];
        throw Error(openLine, openCol, open == '['
            ? "unterminated flow list: '[' is never closed with ']'"
            : "unterminated flow mapping: '{' is never closed with '}'");
    }

    // ---- Lines and cursor ------------------------------------------------------------------

    private bool NextLine()
    {
        _line++;
        return MoveToContent(allowDocumentStart: false);
    }

    /// <summary>
    /// Moves to the first non-space character of the next line, from <see cref="_line"/> on, that is
    /// not blank or a comment; returns false at the end of the text.
    /// </summary>
    private bool MoveToContent(bool allowDocumentStart)
    {
        for (; _line < _lines.Length; _line++)
        {
            string s = _lines[_line];
            int i = 0;
            while (i < s.Length && s[i] is ' ' or '\t')
            {
                i++;
            }

            if (i == s.Length || s[i] == '#')
            {
                continue;
            }

            int tab = s.IndexOf('\t', 0, i);
            if (tab >= 0)
            {
                throw Error(_line, tab, "tab characters cannot be used for indentation; use spaces");
            }

            if (i == 0 && IsMarker(s, "---"))
            {
                if (!allowDocumentStart)
                {
                    throw new YamlException("multiple documents ('---') are not supported in policy files", _line + 1, 1, string.Empty);
                }

                string rest = s[3..].TrimStart(' ', '\t');
                if (rest.Length > 0 && rest[0] != '#')
                {
                    throw Error(_line, s.Length - rest.Length, "content after '---' is not supported; start the document on the next line");
                }

                allowDocumentStart = false;
                continue;
            }

            if (i == 0 && IsMarker(s, "..."))
            {
                throw new YamlException("the document end marker '...' is not supported in policy files", _line + 1, 1, string.Empty);
            }

            _col = i;
            return true;
        }

        _col = 0;
        return false;
    }

    private static bool IsMarker(string line, string marker) =>
        line.StartsWith(marker, StringComparison.Ordinal) && (line.Length == 3 || line[3] is ' ' or '\t');

    /// <summary>The character at the cursor plus <paramref name="offset"/>, or '\0' past the end of the line.</summary>
    private char Peek(int offset = 0)
    {
        if (AtEnd)
        {
            return '\0';
        }

        int i = _col + offset;
        return i < Current.Length ? Current[i] : '\0';
    }

    private void SkipSpaces(bool allowTabs)
    {
        while (Peek() == ' ' || (allowTabs && Peek() == '\t'))
        {
            _col++;
        }

        if (Peek() == '\t')
        {
            throw Error(_line, _col, "tab characters cannot be used for indentation; use spaces");
        }
    }

    private bool AtLineEndOrComment() => Peek() is '\0' or '#';

    private string RestOfLine()
    {
        string rest = Current[_col..];
        int comment = rest.IndexOf(" #", StringComparison.Ordinal);
        return (comment >= 0 ? rest[..comment] : rest).TrimEnd(' ', '\t');
    }

    private void AddKey(Dictionary<string, YamlScalar> seen, YamlScalar key)
    {
        if (seen.TryGetValue(key.Value, out YamlScalar? first))
        {
            _path.Add(key.Value);
            throw new YamlException(
                $"duplicate key '{key.Value}' (first defined on line {first.Line})", key.Line, key.Column, PathText());
        }

        seen.Add(key.Value, key);
    }

    private void Enter()
    {
        if (++_depth > MaxDepth)
        {
            throw Error(_line, _col, $"nesting is deeper than {MaxDepth} levels");
        }
    }

    private YamlException BadIndentation(int expected) =>
        Error(_line, _col, $"inconsistent indentation: found {_col} spaces where {expected} were expected");

    private YamlException Error(int line, int col, string message) => new(message, line + 1, col + 1, PathText());

    private string PathText()
    {
        var text = new StringBuilder();
        foreach (string part in _path)
        {
            if (text.Length > 0 && !part.StartsWith('['))
            {
                text.Append('.');
            }

            text.Append(part);
        }

        return text.ToString();
    }
}
