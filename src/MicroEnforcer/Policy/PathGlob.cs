using System.Diagnostics.CodeAnalysis;

namespace MicroEnforcer.Policy;

/// <summary>
/// A glob over absolute paths: <c>*</c> and <c>?</c> stay within one path segment, <c>**</c> spans
/// any number of segments (zero included), <c>[abc]</c>, <c>[a-z]</c> and <c>[!a]</c> match one character.
/// </summary>
/// <remarks>
/// Hand-written rather than Regex so the AOT binary does not carry the regex engine. Both the
/// segment level (<c>**</c> over segments) and the character level (<c>*</c> over characters) use
/// the wildcard algorithm that only remembers the last star: it is O(n·m) in the worst case, so a
/// pattern like <c>/**/**/**/a</c> cannot make an exec check take exponential time.
/// </remarks>
public sealed class PathGlob : IEquatable<PathGlob>
{
    // Paths deeper than this split into a heap array instead of the stack.
    private const int StackSegments = 64;

    private readonly Segment[] _segments;

    private PathGlob(string pattern, Segment[] segments)
    {
        Pattern = pattern;
        _segments = segments;
    }

    public string Pattern { get; }

    /// <summary>Compiles <paramref name="pattern"/>; on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(string pattern, [NotNullWhen(true)] out PathGlob? glob, out string error)
    {
        glob = null;
        if (string.IsNullOrEmpty(pattern))
        {
            error = "the pattern is empty";
            return false;
        }

        if (pattern[0] != '/')
        {
            error = "the pattern must be an absolute path starting with '/'";
            return false;
        }

        var segments = new List<Segment>();
        int offset = 0;
        foreach (string text in pattern.Split('/'))
        {
            if (text == "**")
            {
                // Consecutive '**' segments mean the same as one; merging them keeps matching cheap.
                if (segments.Count == 0 || !segments[^1].IsGlobStar)
                {
                    segments.Add(Segment.GlobStar);
                }
            }
            else if (TryParseSegment(text, offset, out Segment? segment, out error))
            {
                segments.Add(segment);
            }
            else
            {
                return false;
            }

            offset += text.Length + 1;
        }

        glob = new PathGlob(pattern, [.. segments]);
        error = string.Empty;
        return true;
    }

    /// <summary>Whether the absolute <paramref name="path"/> matches; the path is compared as given, not normalised.</summary>
    public bool Matches(string path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            return false;
        }

        // starts[k] is where segment k begins; segment k ends just before starts[k + 1] - 1.
        int count = path.AsSpan().Count('/') + 1;
        Span<int> starts = count < StackSegments ? stackalloc int[count + 1] : new int[count + 1];
        int k = 0;
        starts[0] = 0;
        for (int i = 0; i < path.Length; i++)
        {
            if (path[i] == '/')
            {
                starts[++k] = i + 1;
            }
        }

        starts[count] = path.Length + 1;

        var match = new SegmentsPattern(_segments, path, starts);
        return Wildcard.Matches(ref match);
    }

    /// <summary>The pattern's segments against the path's, <c>**</c> matching any run of whole segments.</summary>
    private readonly ref struct SegmentsPattern(Segment[] segments, ReadOnlySpan<char> path, ReadOnlySpan<int> starts) : IWildcardPattern
    {
        private readonly ReadOnlySpan<char> _path = path;
        private readonly ReadOnlySpan<int> _starts = starts;

        public int PatternLength => segments.Length;

        public int SubjectLength => _starts.Length - 1;

        public bool IsAnyRun(int p) => segments[p].IsGlobStar;

        public bool Matches(int p, int s) => segments[p].Matches(_path.Slice(_starts[s], _starts[s + 1] - 1 - _starts[s]));
    }

    public override string ToString() => Pattern;

    public bool Equals(PathGlob? other) => other is not null && Pattern == other.Pattern;

    public override bool Equals(object? obj) => Equals(obj as PathGlob);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Pattern);

    private static bool TryParseSegment(string text, int offset, [NotNullWhen(true)] out Segment? segment, out string error)
    {
        segment = null;
        var tokens = new List<Token>();
        for (int i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '*':
                    if (tokens.Count == 0 || tokens[^1].Kind != TokenKind.AnyRun)
                    {
                        tokens.Add(new Token(TokenKind.AnyRun));
                    }

                    break;
                case '?':
                    tokens.Add(new Token(TokenKind.AnyChar));
                    break;
                case '[':
                    if (!TryParseClass(text, ref i, offset, out CharClass? charClass, out error))
                    {
                        return false;
                    }

                    tokens.Add(new Token(TokenKind.Class, Class: charClass));
                    break;
                default:
                    tokens.Add(new Token(TokenKind.Literal, text[i]));
                    break;
            }
        }

        segment = new Segment([.. tokens], IsGlobStar: false);
        error = string.Empty;
        return true;
    }

    /// <summary>Parses the class opening at <paramref name="i"/>, leaving <paramref name="i"/> on its ']'.</summary>
    private static bool TryParseClass(string text, ref int i, int offset, [NotNullWhen(true)] out CharClass? charClass, out string error)
    {
        charClass = null;
        int open = i;
        int j = i + 1;
        bool negated = j < text.Length && text[j] == '!';
        if (negated)
        {
            j++;
        }

        var ranges = new List<(char Low, char High)>();
        while (true)
        {
            if (j >= text.Length)
            {
                // A '/' ends the segment, so "[a/b]" is reported here too: classes never span segments.
                error = $"unterminated character class: the '[' at character {offset + open + 1} has no closing ']'";
                return false;
            }

            char low = text[j];
            if (low == ']' && ranges.Count > 0)
            {
                break; // a ']' right after '[' or '[!' is a literal member, as in POSIX globs
            }

            if (j + 2 < text.Length && text[j + 1] == '-' && text[j + 2] != ']')
            {
                char high = text[j + 2];
                if (high < low)
                {
                    error = $"invalid range '{low}-{high}' in character class: the range is reversed";
                    return false;
                }

                ranges.Add((low, high));
                j += 3;
            }
            else
            {
                ranges.Add((low, low));
                j++;
            }
        }

        i = j;
        charClass = new CharClass([.. ranges], negated);
        error = string.Empty;
        return true;
    }

    private enum TokenKind : byte
    {
        Literal,
        AnyChar,
        AnyRun,
        Class,
    }

    private readonly record struct Token(TokenKind Kind, char Literal = '\0', CharClass? Class = null)
    {
        public bool Matches(char c) => Kind switch
        {
            TokenKind.Literal => c == Literal,
            TokenKind.AnyChar => true, // segments never contain '/'
            TokenKind.Class => Class!.Matches(c),
            _ => false,
        };
    }

    private sealed record CharClass((char Low, char High)[] Ranges, bool Negated)
    {
        public bool Matches(char c)
        {
            foreach ((char low, char high) in Ranges)
            {
                if (c >= low && c <= high)
                {
                    return !Negated;
                }
            }

            return Negated;
        }
    }

    private sealed record Segment(Token[] Tokens, bool IsGlobStar)
    {
        public static readonly Segment GlobStar = new([], IsGlobStar: true);

        public bool Matches(ReadOnlySpan<char> text)
        {
            var match = new TokensPattern(Tokens, text);
            return Wildcard.Matches(ref match);
        }
    }

    /// <summary>A segment's tokens against one path segment's characters, <c>*</c> matching any run.</summary>
    private readonly ref struct TokensPattern(Token[] tokens, ReadOnlySpan<char> text) : IWildcardPattern
    {
        private readonly ReadOnlySpan<char> _text = text;

        public int PatternLength => tokens.Length;

        public int SubjectLength => _text.Length;

        public bool IsAnyRun(int p) => tokens[p].Kind == TokenKind.AnyRun;

        public bool Matches(int p, int s) => tokens[p].Matches(_text[s]);
    }
}
