using YamlDotNet.Core;
using YamlDotNet.Core.Tokens;

namespace MicroEnforcer.Policy.Yaml;

/// <summary>
/// YamlDotNet's scanner with two refusals on top that events cannot express, because the tokens
/// that tell (commas, colons) do not survive into them.
/// </summary>
/// <remarks>
/// A trailing comma (<c>[a, b,]</c>) is valid YAML but not JSON, and policies take the stricter
/// reading so that a JSON policy that passes here also passes a JSON tool. Two scalars with nothing
/// between them (<c>{"a" 1}</c>) are an error YamlDotNet lets through, reading the second as the
/// value of the first.
/// </remarks>
internal sealed class StrictScanner(IScanner inner) : IScanner
{
    private readonly Stack<bool> _flowIsMapping = new();
    private Token? _previous;
    private Token? _beforePrevious;

    public Mark CurrentPosition => inner.CurrentPosition;

    public Token? Current => inner.Current;

    public bool MoveNext() => Check(inner.MoveNext());

    public bool MoveNextWithoutConsuming() => Check(inner.MoveNextWithoutConsuming());

    public void ConsumeCurrent() => inner.ConsumeCurrent();

    /// <summary>Looks at each token once, as it first becomes current; the parser may peek at one several times.</summary>
    private bool Check(bool moved)
    {
        Token? token = inner.Current;
        if (!moved || token is null || ReferenceEquals(token, _previous))
        {
            return moved;
        }

        switch (token)
        {
            case FlowMappingStart:
                _flowIsMapping.Push(true);
                break;
            case FlowSequenceStart:
                _flowIsMapping.Push(false);
                break;
            case FlowMappingEnd or FlowSequenceEnd:
                if (_previous is FlowEntry comma)
                {
                    char close = token is FlowMappingEnd ? '}' : ']';
                    throw new RefusedSyntaxException(comma.Start, $"trailing comma before '{close}' is not allowed");
                }

                _flowIsMapping.TryPop(out _);
                break;
            case Scalar second when _previous is Scalar first:
                throw new RefusedSyntaxException(second.Start, MissingSeparator(first, second));
        }

        _beforePrevious = _previous;
        _previous = token;
        return moved;
    }

    /// <summary>What is missing between two scalars: a ':' after a key, or a ',' after a value.</summary>
    private string MissingSeparator(Scalar first, Scalar second)
    {
        char found = second.Style switch
        {
            ScalarStyle.DoubleQuoted => '"',
            ScalarStyle.SingleQuoted => '\'',
            _ => second.Value.Length > 0 ? second.Value[0] : ' ',
        };
        if (!_flowIsMapping.TryPeek(out bool inMapping))
        {
            return $"unexpected '{second.Value}' after the value";
        }

        if (!inMapping)
        {
            return $"expected ',' or ']' in the list, found '{found}'";
        }

        return _beforePrevious is Value
            ? $"expected ',' or '}}' in the mapping, found '{found}'"
            : $"expected ':' after key '{first.Value}'";
    }
}
