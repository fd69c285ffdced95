namespace MicroEnforcer.Policy.Yaml;

/// <summary>
/// A mapping or list the parser has started but not finished, as a syntax error sees it: where it
/// starts (1-based), whether it is a list, whether it is written in flow style, and its field path.
/// </summary>
internal readonly record struct OpenCollection(int Line, int Column, bool IsSequence, bool IsFlow, string Path);
