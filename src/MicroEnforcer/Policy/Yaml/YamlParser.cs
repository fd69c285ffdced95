using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using LibYaml = YamlDotNet.Core;

namespace MicroEnforcer.Policy.Yaml;

/// <summary>
/// Reads a policy file into <see cref="YamlNode"/>s: YamlDotNet parses the YAML (JSON too, being
/// YAML flow syntax), and this class builds the nodes from its events and refuses what a policy
/// file must not hold.
/// </summary>
/// <remarks>
/// Only YamlDotNet's event layer is used (<see cref="LibYaml.Parser"/>): its serializer works
/// by reflection, which Native AOT cannot keep. Refused on top of YAML: more than one document, a
/// key given twice, a mapping or list as a key, tags other than the standard ones, a plain or
/// quoted value that spans lines, and trailing commas (see <see cref="StrictScanner"/>): a security
/// policy should mean exactly what it looks like. An alias is the node it names, shared, not a copy;
/// what a document expands to through aliases is capped at <see cref="MaxNodes"/>, so an alias bomb
/// ("billion laughs") is an error and not a hang.
/// </remarks>
internal sealed class YamlParser
{
    /// <summary>Nodes a document may expand to, aliases counted at their full size.</summary>
    public const int MaxNodes = 100_000;

    // Policies are a few levels deep; the limit keeps hostile input from nesting without bound.
    private const int MaxDepth = 64;

    private const string CoreTagPrefix = "tag:yaml.org,2002:";

    private readonly string[] _lines;
    private readonly List<Frame> _open = [];
    private readonly Dictionary<string, (YamlNode Node, int Size)> _anchors = new(StringComparer.Ordinal);
    private YamlNode? _root;
    private int _documents;
    private int _nodes;

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
                    throw new YamlException($"control character U+{(int)c:X4} is not allowed", i + 1, col + 1, string.Empty);
                }
            }
        }
    }

    /// <summary>Parses one document; returns null when it holds nothing but blank lines and comments.</summary>
    /// <exception cref="YamlException">The text is not valid YAML, or uses a feature policies do not support.</exception>
    public static YamlNode? Parse(string text)
    {
        if (text.StartsWith('\uFEFF'))
        {
            text = text[1..];
        }

        var parser = new YamlParser(text);
        var scanner = new StrictScanner(new Scanner(new StringReader(text)));
        var events = new LibYaml.Parser(scanner);
        try
        {
            while (events.MoveNext())
            {
                parser.Handle(events.Current!);
            }
        }
        catch (LibYaml.YamlException ex)
        {
            throw parser.ErrorText().Translate(ex);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // YamlDotNet's own failure on odd input (seen: a flow list whose last item runs onto
            // the next line); the input is still what is wrong, and the position is known.
            throw parser.ErrorText().Unexpected(scanner.CurrentPosition);
        }

        // An empty document is one empty plain scalar.
        return parser._root is YamlScalar { IsQuoted: false, Value: "" } ? null : parser._root;
    }

    private void Handle(ParsingEvent e)
    {
        switch (e)
        {
            case DocumentStart start:
                if (++_documents > 1)
                {
                    throw Error(start.Start, "multiple documents ('---') are not supported in policy files");
                }

                break;
            case Scalar scalar:
                AddScalar(scalar);
                break;
            case SequenceStart sequence:
                CheckCollectionTag(sequence, "seq");
                Open(new Frame(sequence, isSequence: true, sequence.Style == SequenceStyle.Flow, _nodes));
                break;
            case MappingStart mapping:
                CheckCollectionTag(mapping, "map");
                Open(new Frame(mapping, isSequence: false, mapping.Style == MappingStyle.Flow, _nodes));
                break;
            case SequenceEnd or MappingEnd:
                Frame frame = _open[^1];
                _open.RemoveAt(_open.Count - 1);
                YamlNode node = frame.Build();
                Remember(frame.Anchor, node, _nodes - frame.NodesBefore);
                Add(node);
                break;
            case AnchorAlias alias:
                AddAlias(alias);
                break;
        }
    }

    private void AddScalar(Scalar scalar)
    {
        bool isString = ScalarIsString(scalar);
        if (scalar.Style != ScalarStyle.Literal && scalar.Style != ScalarStyle.Folded && scalar.End.Line > scalar.Start.Line)
        {
            throw MultiLineValue(scalar);
        }

        Count(1, scalar.Start);
        var node = new YamlScalar(scalar.Value, isString, (int)scalar.Start.Line, (int)scalar.Start.Column);
        Remember(scalar.Anchor, node, 1);
        Add(node);
    }

    private void AddAlias(AnchorAlias alias)
    {
        string name = alias.Value.Value;
        if (!_anchors.TryGetValue(name, out (YamlNode Node, int Size) target))
        {
            throw Error(alias.Start, _open.Any(frame => !frame.Anchor.IsEmpty && frame.Anchor.Value == name)
                ? $"alias '*{name}' refers to the node that contains it; a policy cannot be recursive"
                : $"alias '*{name}' refers to no anchor: define '&{name}' before using it");
        }

        Count(target.Size, alias.Start);
        Add(target.Node);
    }

    private void Open(Frame frame)
    {
        if (_open.Count >= MaxDepth)
        {
            throw Error(frame.Start, $"nesting is deeper than {MaxDepth} levels");
        }

        Count(1, frame.Start);
        _open.Add(frame);
    }

    /// <summary>Places a finished node in the collection around it, or makes it the document.</summary>
    private void Add(YamlNode node)
    {
        if (_open.Count == 0)
        {
            _root = node;
            return;
        }

        Frame parent = _open[^1];
        if (parent.Sequence is { } items)
        {
            items.Add(node);
            return;
        }

        MappingBuilder mapping = parent.Mapping!;
        if (mapping.PendingKey is null)
        {
            if (node is not YamlScalar key)
            {
                throw new YamlException("a list or mapping cannot be used as a mapping key", node.Line, node.Column, Path());
            }

            if (!mapping.TryAddKey(key, out YamlScalar? first))
            {
                throw new YamlException($"duplicate key '{key.Value}' (first defined on line {first.Line})", key.Line, key.Column, Path());
            }

            return;
        }

        string path = Path();
        if (mapping.AddValue(node) is { } problem)
        {
            throw new YamlException(problem, node.Line, node.Column, path);
        }
    }

    private void Remember(AnchorName anchor, YamlNode node, int size)
    {
        if (!anchor.IsEmpty)
        {
            _anchors[anchor.Value] = (node, size); // a later anchor of the same name replaces it, as YAML says
        }
    }

    private void Count(int nodes, Mark at)
    {
        _nodes += nodes;
        if (_nodes > MaxNodes)
        {
            throw Error(at, $"the document expands to more than {MaxNodes:N0} nodes once its aliases are expanded (an alias bomb?); policy files are limited to {MaxNodes:N0}");
        }
    }

    /// <summary>
    /// Whether the scalar is a string whatever it reads as: quoted, a block scalar, or tagged
    /// <c>!!str</c>. Other standard scalar tags must agree with the text, which is then read as it
    /// would be untagged; any other tag is refused, as the binder could not honour it.
    /// </summary>
    private bool ScalarIsString(Scalar scalar)
    {
        if (scalar.Tag.IsEmpty)
        {
            return scalar.Style != ScalarStyle.Plain;
        }

        string value = scalar.Value;
        bool fits = TagName(scalar.Tag) switch
        {
            "!!str" => true,
            "!!null" => value is "" or "~" or "null" or "Null" or "NULL",
            "!!bool" => value is "true" or "false",
            "!!int" => IsDecimalInteger(value),
            _ => throw UnsupportedTag(scalar),
        };
        if (!fits)
        {
            throw Error(scalar.Start, $"'{value}' is not a valid {TagName(scalar.Tag)} value");
        }

        return TagName(scalar.Tag) == "!!str";
    }

    private void CheckCollectionTag(NodeEvent collection, string expected)
    {
        if (!collection.Tag.IsEmpty && TagName(collection.Tag) != $"!!{expected}")
        {
            throw UnsupportedTag(collection);
        }
    }

    private YamlException UnsupportedTag(NodeEvent node) =>
        Error(node.Start, $"tag '{TagName(node.Tag)}' is not supported in policy files; the standard tags are !!str, !!int, !!bool, !!null, !!map and !!seq");

    private static string TagName(LibYaml.TagName tag) =>
        tag.IsNonSpecific ? tag.ToString()
        : tag.Value.StartsWith(CoreTagPrefix, StringComparison.Ordinal) ? $"!!{tag.Value[CoreTagPrefix.Length..]}"
        : tag.Value;

    private static bool IsDecimalInteger(string text)
    {
        int start = text.Length > 0 && text[0] is '-' or '+' ? 1 : 0;
        return start < text.Length && text.AsSpan(start).IndexOfAnyExceptInRange('0', '9') < 0;
    }

    /// <summary>
    /// A value that runs onto the next line. For an unquoted one that is nearly always a line
    /// indented too far, which YAML reads as the value going on; the error points at that line.
    /// </summary>
    private YamlException MultiLineValue(Scalar scalar)
    {
        if (scalar.Style != ScalarStyle.Plain)
        {
            return Error(scalar.Start, "a quoted string cannot span lines: close it on the line it starts, or write a block scalar ('|' or '>')");
        }

        int startLine = (int)scalar.Start.Line;
        int next = startLine;
        while (next < (int)scalar.End.Line && _lines[next].Trim().Length == 0)
        {
            next++;
        }

        string first = _lines[startLine - 1][((int)scalar.Start.Column - 1)..].Trim();
        int column = _lines[next].Length - _lines[next].TrimStart(' ', '\t').Length + 1;
        return new YamlException(
            $"this line continues the unquoted value '{first}' from line {startLine}, and such a value cannot span lines: fix this line's indentation, or write the value as a block scalar ('|' or '>')",
            next + 1, column, Path());
    }

    private SyntaxErrorText ErrorText()
    {
        OpenCollection? block = null, flow = null;
        for (int i = _open.Count - 1; i >= 0 && (block is null || flow is null); i--)
        {
            Frame frame = _open[i];
            var open = new OpenCollection((int)frame.Start.Line, (int)frame.Start.Column, frame.Sequence is not null, frame.IsFlow, Path(i));
            if (frame.IsFlow)
            {
                flow ??= open;
            }
            else
            {
                block ??= open;
            }
        }

        return new SyntaxErrorText(_lines, Path(), block, flow);
    }

    private YamlException Error(Mark at, string message) => new(message, (int)at.Line, (int)at.Column, Path());

    /// <summary>The dotted path of the field being read, through the first <paramref name="frames"/> open collections (all by default).</summary>
    private string Path(int frames = int.MaxValue)
    {
        var text = new StringBuilder();
        for (int i = 0; i < Math.Min(frames, _open.Count); i++)
        {
            Frame frame = _open[i];
            if (frame.Sequence is { } items)
            {
                text.Append('[').Append(items.Count).Append(']');
            }
            else if (frame.Mapping!.PendingKey is { } key)
            {
                text.Append(text.Length > 0 ? "." : string.Empty).Append(key.Value);
            }
        }

        return text.ToString();
    }

    /// <summary>A mapping or list being read: where it starts, its anchor, and what it holds so far.</summary>
    private sealed class Frame
    {
        public Frame(NodeEvent start, bool isSequence, bool isFlow, int nodesBefore)
        {
            Start = start.Start;
            Anchor = start.Anchor;
            IsFlow = isFlow;
            NodesBefore = nodesBefore;
            if (isSequence)
            {
                Sequence = [];
            }
            else
            {
                Mapping = new MappingBuilder((int)start.Start.Line, (int)start.Start.Column);
            }
        }

        public Mark Start { get; }

        public AnchorName Anchor { get; }

        public bool IsFlow { get; }

        /// <summary>The document's node count when this collection started: its size, aliases expanded, is the count at its end less this.</summary>
        public int NodesBefore { get; }

        public List<YamlNode>? Sequence { get; }

        public MappingBuilder? Mapping { get; }

        public YamlNode Build() => Sequence is { } items
            ? new YamlSequence(items, (int)Start.Line, (int)Start.Column)
            : Mapping!.Build();
    }
}
