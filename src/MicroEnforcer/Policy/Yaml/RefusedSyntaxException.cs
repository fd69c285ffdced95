using YamlDotNet.Core;

namespace MicroEnforcer.Policy.Yaml;

/// <summary>A syntax error found on top of YamlDotNet's checks, its message already worded for the policy author.</summary>
internal sealed class RefusedSyntaxException(Mark at, string message) : YamlDotNet.Core.YamlException(at, at, message);
