namespace MicroEnforcer.Policy.Yaml;

/// <summary>A syntax error, or a YAML feature that policy files deliberately do not support.</summary>
internal sealed class YamlException(string message, int line, int column, string path) : Exception(message)
{
    /// <summary>1-based line of the error.</summary>
    public int Line { get; } = line;

    /// <summary>1-based column of the error.</summary>
    public int Column { get; } = column;

    /// <summary>Dotted path of the field being parsed when the error was found; empty at the top level.</summary>
    public string Path { get; } = path;
}
