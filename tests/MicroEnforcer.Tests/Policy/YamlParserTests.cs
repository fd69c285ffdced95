using MicroEnforcer.Policy.Yaml;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

public class YamlParserTests
{
    [Fact]
    public void BlockMapping_KeepsKeyOrderAndPositions()
    {
        var root = Mapping("""
            b: 1
            a: two
            c:
              d: x
            """);

        Assert.Equal(["b", "a", "c"], root.Entries.Select(e => e.Key.Value));
        AssertAt(root, 1, 1);
        AssertAt(root.Entries[1].Key, 2, 1);
        AssertAt(root.Entries[1].Value, 2, 4);
        var c = Assert.IsType<YamlMapping>(root.Entries[2].Value);
        AssertAt(c, 4, 3);
        AssertAt(c.Entries[0].Key, 4, 3);
        Assert.Equal("x", Scalar(c, "d").Value);
    }

    [Fact]
    public void BlockSequence_OfScalars()
    {
        var root = Mapping("""
            list:
              - one
              - "two"
              -   three   # comment
            """);

        var list = Assert.IsType<YamlSequence>(root.Entries[0].Value);
        AssertAt(list, 2, 3);
        Assert.Equal(["one", "two", "three"], list.Items.Cast<YamlScalar>().Select(s => s.Value));
        AssertAt(list.Items[2], 4, 7);
    }

    [Fact]
    public void BlockSequence_OfCompactMappings()
    {
        var root = Mapping("""
            items:
              - name: a
                value: b
              - name: c
            after: z
            """);

        var items = Assert.IsType<YamlSequence>(root.Entries[0].Value);
        Assert.Equal(2, items.Items.Count);
        var first = Assert.IsType<YamlMapping>(items.Items[0]);
        AssertAt(first, 2, 5);
        Assert.Equal("b", Scalar(first, "value").Value);
        AssertAt(first.Entries[1].Key, 3, 5);
        Assert.Equal("c", Scalar(Assert.IsType<YamlMapping>(items.Items[1]), "name").Value);
        Assert.Equal("z", Scalar(root, "after").Value);
    }

    [Fact]
    public void BlockSequence_MayShareItsKeysIndentation()
    {
        var root = Mapping("""
            list:
            - a
            - b
            next: c
            """);

        var list = Assert.IsType<YamlSequence>(root.Entries[0].Value);
        Assert.Equal(2, list.Items.Count);
        Assert.Equal("c", Scalar(root, "next").Value);
    }

    [Fact]
    public void BlockSequence_NestedCompactAndOnFollowingLines()
    {
        var root = Assert.IsType<YamlSequence>(YamlParser.Parse("""
            - - a
              - b
            -
              key: v
            """));

        var inner = Assert.IsType<YamlSequence>(root.Items[0]);
        AssertAt(inner, 1, 3);
        Assert.Equal(2, inner.Items.Count);
        Assert.Equal("v", Scalar(Assert.IsType<YamlMapping>(root.Items[1]), "key").Value);
    }

    [Fact]
    public void ScalarValue_MayStartOnTheNextLine()
    {
        var root = Mapping("""
            key:
              value
            """);

        AssertAt(Scalar(root, "key"), 2, 3);
    }

    [Fact]
    public void FlowCollections_NestAndSpanLines()
    {
        var root = Mapping("""
            spec: { mode: audit, list: [a, "b", [c], {}],
              more: {x: y},   # comment inside a flow mapping
              empty: [ ] }
            """);

        var spec = Assert.IsType<YamlMapping>(root.Entries[0].Value);
        AssertAt(spec, 1, 7);
        Assert.Equal(["mode", "list", "more", "empty"], spec.Entries.Select(e => e.Key.Value));
        var list = Assert.IsType<YamlSequence>(spec.Entries[1].Value);
        AssertAt(list, 1, 28);
        Assert.Equal(4, list.Items.Count);
        Assert.True(Assert.IsType<YamlScalar>(list.Items[1]).IsQuoted);
        AssertAt(list.Items[1], 1, 32);
        Assert.Empty(Assert.IsType<YamlMapping>(list.Items[3]).Entries);
        Assert.Equal("y", Scalar(Assert.IsType<YamlMapping>(spec.Entries[2].Value), "x").Value);
        AssertAt(spec.Entries[2].Key, 2, 3);
        Assert.Empty(Assert.IsType<YamlSequence>(spec.Entries[3].Value).Items);
    }

    [Fact]
    public void Json_ParsesAsFlowSyntax()
    {
        var root = Mapping("{\n\t\"a\":1,\n\t\"b\": [true, \"x\", null],\n\t\"c\": {\"d\": \"e\"}\n}\n");

        AssertAt(root, 1, 1);
        Assert.Equal("1", Scalar(root, "a").Value);
        AssertAt(root.Entries[0].Key, 2, 2);
        var b = Assert.IsType<YamlSequence>(root.Entries[1].Value);
        Assert.False(((YamlScalar)b.Items[0]).IsQuoted);
        Assert.True(((YamlScalar)b.Items[2]).IsNull);
        Assert.Equal("e", Scalar(Assert.IsType<YamlMapping>(root.Entries[2].Value), "d").Value);
    }

    [Fact]
    public void Comments_AreIgnoredOutsideQuotesOnly()
    {
        var root = Mapping("""
            # leading comment
              # indented comment
            a: "x # not a comment"  # comment
            b: c#d
            c: 'it''s # text'

            d: e # comment
            """);

        Assert.Equal("x # not a comment", Scalar(root, "a").Value);
        Assert.Equal("c#d", Scalar(root, "b").Value);
        Assert.Equal("it's # text", Scalar(root, "c").Value);
        Assert.Equal("e", Scalar(root, "d").Value);
    }

    [Fact]
    public void DoubleQuotes_SupportEscapes()
    {
        var root = Mapping("""
            a: "q\" b\\ n\n t\t s\/ u\u00e9 \u0041"
            """);

        Assert.Equal("q\" b\\ n\n t\t s/ u\u00e9 A", Scalar(root, "a").Value);
    }

    [Fact]
    public void Quoting_IsRecorded()
    {
        var root = Mapping("""
            quoted: "true"
            single: 'true'
            plain: true
            """);

        Assert.True(Scalar(root, "quoted").IsQuoted);
        Assert.True(Scalar(root, "single").IsQuoted);
        Assert.False(Scalar(root, "plain").IsQuoted);
        Assert.Equal("true", Scalar(root, "plain").Value);
    }

    [Fact]
    public void Nulls_AreEmptyTildeOrNull_ButNotQuoted()
    {
        var root = Mapping("""
            empty:
            tilde: ~
            word: null
            quoted: "null"
            last:
            """);

        Assert.True(Scalar(root, "empty").IsNull);
        AssertAt(Scalar(root, "empty"), 1, 7);
        Assert.True(Scalar(root, "tilde").IsNull);
        Assert.True(Scalar(root, "word").IsNull);
        Assert.False(Scalar(root, "quoted").IsNull);
        Assert.True(Scalar(root, "last").IsNull);
    }

    [Fact]
    public void PlainScalars_KeepColonsNotFollowedBySpace_AndTrimTrailingSpace()
    {
        var root = Mapping("url: http://example.com:80/x   \n\"quoted key\": -1\n");

        Assert.Equal("http://example.com:80/x", Scalar(root, "url").Value);
        Assert.Equal("-1", Scalar(root, "quoted key").Value);
    }

    [Fact]
    public void DocumentStart_BomAndCrLf_AreAccepted()
    {
        var root = Mapping("\uFEFF# comment\r\n---\r\na: 1\r\nb:\r\n  - x\r\n");

        AssertAt(root, 3, 1);
        Assert.Equal("1", Scalar(root, "a").Value);
        AssertAt(Assert.IsType<YamlSequence>(root.Entries[1].Value).Items[0], 5, 5);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n   \n")]
    [InlineData("# only a comment\n  # and another\n")]
    [InlineData("---\n# nothing else\n")]
    public void EmptyDocument_IsNull(string text) => Assert.Null(YamlParser.Parse(text));

    [Fact]
    public void TopLevel_MayBeAScalarOrList()
    {
        Assert.Equal("hello", Assert.IsType<YamlScalar>(YamlParser.Parse("hello\n")).Value);
        Assert.Equal(2, Assert.IsType<YamlSequence>(YamlParser.Parse("[1, 2]")).Items.Count);
    }

    [Theory]
    [InlineData("a:\n\tb: 1", 2, 1, "tab characters cannot be used for indentation")]
    [InlineData("a:\n  b: 1\n \tc: 2", 3, 2, "tab characters cannot be used for indentation")]
    [InlineData("a: 1\nb: 2\na: 3", 3, 1, "duplicate key 'a' (first defined on line 1)")]
    [InlineData("a:\n  x: 1\n  'x': 2", 3, 3, "duplicate key 'x'")]
    [InlineData("{a: 1, \"a\": 2}", 1, 8, "duplicate key 'a'")]
    [InlineData("a: *anchor", 1, 4, "alias '*anchor' refers to no anchor: define '&anchor' before using it")]
    [InlineData("a: *x\nb: &x 1", 1, 4, "alias '*x' refers to no anchor")]
    [InlineData("a: &x [1, *x]", 1, 11, "alias '*x' refers to the node that contains it")]
    [InlineData("a: [!x 1]", 1, 5, "tag '!x' is not supported in policy files")]
    [InlineData("a: !local 1", 1, 4, "tag '!local' is not supported in policy files")]
    [InlineData("a: !!binary aGk=", 1, 4, "tag '!!binary' is not supported")]
    [InlineData("a: !!int 1.5", 1, 4, "'1.5' is not a valid !!int value")]
    [InlineData("a: !!bool yes", 1, 4, "'yes' is not a valid !!bool value")]
    [InlineData("a: !!seq {b: 1}", 1, 4, "tag '!!seq' is not supported")]
    [InlineData("? [a]\n: b", 1, 3, "a list or mapping cannot be used as a mapping key")]
    [InlineData("? {a: 1}\n: b", 1, 3, "a list or mapping cannot be used as a mapping key")]
    [InlineData("a: @x", 1, 4, "'@' is reserved")]
    [InlineData("a:\n  b: 1\n   c: 2", 3, 4, "inconsistent indentation: found 3 spaces where 2 were expected")]
    [InlineData("a:\n    b: 1\n  c: 2", 3, 3, "inconsistent indentation: found 2 spaces where 0 were expected")]
    [InlineData("a: 1\n  b: 2", 2, 3, "inconsistent indentation")]
    [InlineData("l:\n  - a\n   - b", 3, 4, "this line continues the unquoted value 'a' from line 2")]
    [InlineData("a: x\n\n   y", 3, 4, "this line continues the unquoted value 'x' from line 1")]
    [InlineData("a: \"x\n  y\"", 1, 4, "a quoted string cannot span lines")]
    [InlineData("l:\n  - a\n  b", 3, 3, "expected a list item ('- ') at this indentation")]
    [InlineData("a: 1\n- b", 2, 1, "unexpected list item")]
    [InlineData("a: 1\nb", 2, 1, "expected 'key: value', found 'b'")]
    [InlineData("a: 1\nb:c", 2, 1, "(a ':' must be followed by a space)")]
    [InlineData("a: \"abc", 1, 4, "unterminated double-quoted string")]
    [InlineData("a: \"abc\\\"", 1, 4, "unterminated double-quoted string")]
    [InlineData("a: \"abc\\", 1, 4, "unterminated double-quoted string")]
    [InlineData("a: 'abc\nb: 1", 1, 4, "unterminated single-quoted string")]
    [InlineData("\"key: 1", 1, 1, "unterminated double-quoted string")]
    [InlineData("a: [1, 2", 1, 4, "unterminated flow list: '[' is never closed with ']'")]
    [InlineData("{\n  \"a\": {\"b\": 1}\n", 1, 1, "unterminated flow mapping: '{' is never closed with '}'")]
    [InlineData("a: [1, 2\nb: 3", 2, 1, "expected ',' or ']' in the list, found 'b'")]
    [InlineData("{\"a\": \"x\" \"b\": 2}", 1, 11, "expected ',' or '}' in the mapping, found '\"'")]
    [InlineData("{\"a\" 1}", 1, 6, "expected ':' after key 'a'")]
    [InlineData("[a, b,]", 1, 6, "trailing comma before ']' is not allowed")]
    [InlineData("{\"a\": 1,\n}", 1, 8, "trailing comma before '}' is not allowed")]
    [InlineData("[a, , b]", 1, 5, "expected a value, found ','")]
    [InlineData("{[a]: 1}", 1, 2, "a list or mapping cannot be used as a mapping key")]
    [InlineData("a: 1\n---\nb: 2", 2, 1, "multiple documents ('---') are not supported in policy files")]
    [InlineData("---\n---\n", 2, 1, "multiple documents ('---') are not supported in policy files")]
    [InlineData("a: 1\n...\nb: 2", 3, 1, "multiple documents ('---') are not supported in policy files")]
    [InlineData("a: {<<: 1}", 1, 9, "the merge key '<<' takes a mapping or a list of mappings")]
    [InlineData("a: &x 1\nb: {<<: [*x]}", 2, 9, "the merge key '<<' takes a mapping or a list of mappings")]
    [InlineData("--- a: 1", 1, 6, "unexpected ': ' inside a value")]
    [InlineData("a: b: c", 1, 5, "unexpected ': ' inside a value")]
    [InlineData("a: - b", 1, 4, "a list cannot start on the same line as its key")]
    [InlineData("a: \"x\" y", 1, 8, "unexpected 'y' after the value")]
    [InlineData("a: [x]#c", 1, 7, "a comment must be separated from the value by a space")]
    [InlineData("a: \"\\q\"", 1, 5, "unknown escape sequence '\\q'")]
    [InlineData("a: \"\\u12\"", 1, 5, "'\\u' must be followed by 4 hexadecimal digits")]
    [InlineData("a: x\u0001", 1, 5, "control character U+0001 is not allowed")]
    [InlineData("[a]\nb", 2, 1, "unexpected content after the end of the top-level value")]
    public void Rejects_WithPosition(string text, int line, int column, string message)
    {
        var ex = Assert.Throws<YamlException>(() => YamlParser.Parse(text));

        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (ex.Line, ex.Column));
    }

    [Fact]
    public void Rejects_DeepNesting()
    {
        var ex = Assert.Throws<YamlException>(() => YamlParser.Parse(new string('[', 10_000)));

        Assert.Contains("nesting is deeper than", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("spec:\n  mode: \"x", "spec.mode")]
    [InlineData("spec:\n  list:\n    - a\n    - 'b", "spec.list[1]")]
    [InlineData("spec:\n  a: 1\n  a: 2", "spec.a")]
    [InlineData("{\"spec\": [1, {\"x\": !t 1}]}", "spec[1].x")]
    [InlineData("spec:\n  a: &x [1]\n  b: *y", "spec.b")]
    [InlineData("a: [", "a")]
    [InlineData("\"x", "")]
    public void Errors_CarryThePathReachedSoFar(string text, string path)
    {
        var ex = Assert.Throws<YamlException>(() => YamlParser.Parse(text));

        Assert.Equal(path, ex.Path);
    }

    [Theory]
    [InlineData("-\tx", "[x]")]
    [InlineData("? a\n: b", "{a: b}")]
    [InlineData("%YAML 1.2\n---\na: 1", "{a: 1}")]
    [InlineData("a: 1\n...\n", "{a: 1}")]
    [InlineData("a: !!str 1", "{a: \"1\"}")]
    [InlineData("a: !!int \"5\"", "{a: 5}")]
    [InlineData("a: !!null ''", "{a: ~}")]
    [InlineData("!!map {a: !!seq [x]}", "{a: [x]}")]
    public void FormerlyRefusedYaml_IsNowRead(string text, string expected) => Assert.Equal(expected, Show(YamlParser.Parse(text)));

    [Fact]
    public void Alias_OfAMapping_IsTheSameNodeInEveryPlace()
    {
        var root = Mapping("""
            first: &control
              enabled: true
              mode: audit
            second: *control
            third: [*control]
            """);

        var first = Assert.IsType<YamlMapping>(root.Entries[0].Value);
        Assert.Same(first, root.Entries[1].Value);
        Assert.Same(first, Assert.IsType<YamlSequence>(root.Entries[2].Value).Items[0]);
        Assert.Equal("audit", Scalar(first, "mode").Value);
        AssertAt(first, 1, 8); // at its anchor, wherever the aliases are: errors point at the text to fix
    }

    [Fact]
    public void Alias_OfAScalar_KeepsItsQuoting_AndAnAnchorMayBeRedefined()
    {
        var root = Mapping("""
            a: &v "true"
            b: *v
            c: &v plain
            d: *v
            """);

        Assert.True(Scalar(root, "b").IsQuoted);
        Assert.Equal("true", Scalar(root, "b").Value);
        Assert.Equal("plain", Scalar(root, "d").Value);
    }

    [Fact]
    public void MergeKey_AddsTheEntriesNotWrittenInTheMapping()
    {
        var root = Mapping("""
            base: &base
              enabled: true
              mode: audit
            control:
              mode: enforce
              <<: *base
              extra: 1
            """);

        var control = Assert.IsType<YamlMapping>(root.Entries[1].Value);
        Assert.Equal(["mode", "enabled", "extra"], control.Entries.Select(e => e.Key.Value));
        Assert.Equal("enforce", Scalar(control, "mode").Value);
        Assert.Equal("true", Scalar(control, "enabled").Value);
        Assert.Equal(["enabled", "mode"], Assert.IsType<YamlMapping>(root.Entries[0].Value).Entries.Select(e => e.Key.Value));
    }

    [Fact]
    public void MergeKey_TakesAListOfMappings_TheFirstWinning_AndInlineMappings()
    {
        var root = Mapping("""
            a: &a {x: from-a, y: from-a}
            b: &b {y: from-b, z: from-b}
            both: {<<: [*a, *b]}
            inline:
              <<: {x: 1}
              y: 2
            """);

        var both = Assert.IsType<YamlMapping>(root.Entries[2].Value);
        Assert.Equal(["x", "y", "z"], both.Entries.Select(e => e.Key.Value));
        Assert.Equal("from-a", Scalar(both, "y").Value);
        Assert.Equal("from-b", Scalar(both, "z").Value);
        var inline = Assert.IsType<YamlMapping>(root.Entries[3].Value);
        Assert.Equal(["x", "y"], inline.Entries.Select(e => e.Key.Value));
    }

    [Fact]
    public void MergeKey_Quoted_IsAnOrdinaryKey()
    {
        var root = Mapping("""
            a: &a {x: 1}
            b: {"<<": *a}
            """);

        var b = Assert.IsType<YamlMapping>(root.Entries[1].Value);
        Assert.Equal("<<", Assert.Single(b.Entries).Key.Value);
    }

    [Theory]
    [InlineData("a: |\n  one\n   two\n\nb: 1", "one\n two\n")]
    [InlineData("a: |-\n  one\n  two\n\nb: 1", "one\ntwo")]
    [InlineData("a: |+\n  one\n  two\n\nb: 1", "one\ntwo\n\n")]
    [InlineData("a: >\n  one\n  two\n\n  three\nb: 1", "one two\nthree\n")]
    [InlineData("a: >-\n  one\n  two\n\nb: 1", "one two")]
    [InlineData("a: >+\n  one\n  two\n\nb: 1", "one two\n\n")]
    [InlineData("a: |2\n    indented\nb: 1", "  indented\n")]
    public void BlockScalars_LiteralAndFolded_WithChomping(string text, string expected)
    {
        var a = Scalar(Mapping(text), "a");

        Assert.Equal(expected, a.Value);
        Assert.True(a.IsQuoted); // a block scalar is a string: "|\n  true" is not a boolean
        AssertAt(a, 1, 4);
    }

    [Fact]
    public void FlowCollections_InBlockStyleDocuments()
    {
        var root = Mapping("""
            labels: {app: web, tier: "front"}
            ports: [80, 443]
            """);

        Assert.Equal("front", Scalar(Assert.IsType<YamlMapping>(root.Entries[0].Value), "tier").Value);
        Assert.Equal(["80", "443"], Assert.IsType<YamlSequence>(root.Entries[1].Value).Items.Cast<YamlScalar>().Select(s => s.Value));
    }

    [Fact]
    public void AliasBomb_IsRefused_NotExpanded()
    {
        // Each level holds ten aliases of the one before: 11, 111, ..., 111,111 nodes at 'e'.
        var text = new System.Text.StringBuilder("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        foreach ((char name, char previous) in new[] { ('b', 'a'), ('c', 'b'), ('d', 'c'), ('e', 'd') })
        {
            text.Append($"{name}: &{name} [{string.Join(", ", Enumerable.Repeat($"*{previous}", 10))}]\n");
        }

        var ex = Assert.Throws<YamlException>(() => YamlParser.Parse(text.ToString()));

        Assert.Contains("more than 100,000 nodes once its aliases are expanded (an alias bomb?)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(5, ex.Line);
        Assert.Equal("e[7]", ex.Path); // after a to d, the eighth alias of d (11,111 nodes each) crosses the limit
        // One level less (11,111 nodes) is a document like any other.
        Assert.NotNull(YamlParser.Parse(string.Join('\n', text.ToString().Split('\n').Take(4))));
    }

    [Fact]
    public void SyntaxError_InTheMiddle_IsReportedWhereItIs()
    {
        var ex = Assert.Throws<YamlException>(() => YamlParser.Parse("""
            spec:
              driftPrevention:
                enabled: true
                allowedExecutables: [/usr/bin/a, /usr/bin/b
              mode: audit
            """));

        Assert.Equal((5, 3), (ex.Line, ex.Column));
        Assert.Equal("spec.driftPrevention.allowedExecutables[1]", ex.Path);
        Assert.Contains("expected ',' or ']' in the list", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A compact rendering: plain scalars bare, quoted ones in quotes, nulls as ~.</summary>
    private static string Show(YamlNode? node) => node switch
    {
        null => "null",
        YamlScalar { IsNull: true } => "~",
        YamlScalar { IsQuoted: true } s => $"\"{s.Value}\"",
        YamlScalar s => s.Value,
        YamlSequence q => $"[{string.Join(", ", q.Items.Select(Show))}]",
        YamlMapping m => $"{{{string.Join(", ", m.Entries.Select(e => $"{Show(e.Key)}: {Show(e.Value)}"))}}}",
        _ => "?",
    };

    private static YamlMapping Mapping(string text) => Assert.IsType<YamlMapping>(YamlParser.Parse(text));

    private static YamlScalar Scalar(YamlMapping mapping, string key)
    {
        Assert.True(mapping.TryGetValue(key, out var value), $"missing key '{key}'");
        return Assert.IsType<YamlScalar>(value);
    }

    private static void AssertAt(YamlNode node, int line, int column) => Assert.Equal((line, column), (node.Line, node.Column));
}
