using System.Collections.ObjectModel;
using System.Globalization;
using MicroEnforcer.Policy.Yaml;

namespace MicroEnforcer.Policy;

/// <summary>
/// Turns a parsed YAML tree into a <see cref="RuntimePolicy"/>, checking types and values.
/// </summary>
/// <remarks>
/// The binder keeps going after an error so that one run reports every problem in the file; each
/// Bind/Read method returns a placeholder when its input is bad, and a policy is produced only if
/// nothing was reported. The fields a mapping may hold are exactly the ones the binder reads from
/// it, so adding a control is one Bind method plus one line in <see cref="BindSpec"/>, and the
/// unknown-field check and suggestions pick the new names up by themselves.
/// </remarks>
internal sealed class PolicyBinder
{
    private const string DefaultName = "unnamed";

    private readonly string _source;
    private readonly List<PolicyError> _errors = [];

    private PolicyBinder(string source) => _source = source;

    public static PolicyLoadResult Bind(YamlNode? root, string source)
    {
        var binder = new PolicyBinder(source);
        RuntimePolicy? policy = binder.BindDocument(root);
        return policy is not null && binder._errors.Count == 0
            ? PolicyLoadResult.Success(policy)
            : PolicyLoadResult.Failure([.. binder._errors.OrderBy(e => e.Line).ThenBy(e => e.Column)]);
    }

    private RuntimePolicy? BindDocument(YamlNode? root)
    {
        if (root is null)
        {
            _errors.Add(new PolicyError(_source, 1, 1, "(document)",
                "the policy file is empty; expected a mapping with apiVersion, kind and spec"));
            return null;
        }

        if (root is not YamlMapping mapping)
        {
            Report(root, "(document)", $"the top level must be a mapping with apiVersion, kind and spec, got {Describe(root)}");
            return null;
        }

        var fields = new FieldReader(this, mapping, string.Empty);
        ReadConstant(fields.Required("apiVersion"), PolicyLoader.ApiVersion);
        ReadConstant(fields.Required("kind"), PolicyLoader.Kind);
        string name = BindMetadata(fields.Optional("metadata"));
        RuntimePolicy policy = BindSpec(fields.Required("spec"), name);
        fields.ReportUnknown();
        return policy;
    }

    private string BindMetadata(Field field)
    {
        FieldReader fields = Fields(field);
        Field nameField = fields.Optional("name");
        string name = ReadString(nameField) ?? DefaultName;
        if (name.Length == 0)
        {
            Report(nameField, "the name must not be empty");
        }

        fields.ReportUnknown();
        return name;
    }

    private RuntimePolicy BindSpec(Field field, string name)
    {
        FieldReader fields = Fields(field);
        EnforcementMode mode = ReadMode(fields.Optional("mode")) ?? EnforcementMode.Enforce;
        DriftPreventionPolicy driftPrevention = BindDriftPrevention(fields.Optional("driftPrevention"), mode);
        FilelessExecPolicy blockFilelessExec = BindFilelessExec(fields.Optional("blockFilelessExec"), mode);
        ForkGuardPolicy forkGuard = BindForkGuard(fields.Optional("forkGuard"), mode);
        ReverseShellPolicy reverseShell = BindReverseShell(fields.Optional("reverseShell"), mode);
        bool allowIoUring = ReadBool(fields.Optional("allowIoUring"), defaultValue: false);
        fields.ReportUnknown();
        return new RuntimePolicy(name, mode, driftPrevention, blockFilelessExec, forkGuard, reverseShell) { AllowIoUring = allowIoUring };
    }

    private DriftPreventionPolicy BindDriftPrevention(Field field, EnforcementMode inheritedMode)
    {
        FieldReader fields = ControlFields(field);
        (bool enabled, EnforcementMode mode) = ReadSwitches(fields, inheritedMode);
        IReadOnlyList<ExecutableGlob> allowed = ReadGlobs(fields.Optional("allowedExecutables"));
        fields.ReportUnknown();
        return new DriftPreventionPolicy(enabled, mode, allowed);
    }

    private FilelessExecPolicy BindFilelessExec(Field field, EnforcementMode inheritedMode)
    {
        FieldReader fields = ControlFields(field);
        (bool enabled, EnforcementMode mode) = ReadSwitches(fields, inheritedMode);
        fields.ReportUnknown();
        return new FilelessExecPolicy(enabled, mode);
    }

    private ForkGuardPolicy BindForkGuard(Field field, EnforcementMode inheritedMode)
    {
        FieldReader fields = ControlFields(field);
        (bool enabled, EnforcementMode mode) = ReadSwitches(fields, inheritedMode);
        int maxProcesses = ReadInt(fields.Optional("maxProcesses"), 1, ForkGuardPolicy.MaxProcessesLimit, ForkGuardPolicy.DefaultMaxProcesses);
        fields.ReportUnknown();
        return new ForkGuardPolicy(enabled, mode, maxProcesses);
    }

    private ReverseShellPolicy BindReverseShell(Field field, EnforcementMode inheritedMode)
    {
        FieldReader fields = ControlFields(field);
        (bool enabled, EnforcementMode mode) = ReadSwitches(fields, inheritedMode);
        IReadOnlyList<ExecutableGlob> processes = ReadGlobs(fields.Optional("allowedProcesses"));
        IReadOnlyList<IpNetwork> addresses = ReadNetworks(fields.Optional("allowedAddresses"));
        IReadOnlyList<string> interpreters = ReadInterpreters(fields.Optional("interpreters"));
        fields.ReportUnknown();
        return new ReverseShellPolicy(enabled, mode, processes, addresses, interpreters);
    }

    /// <summary>
    /// The mapping of one control. A bare <c>true</c>/<c>false</c> in its place is the likely
    /// mistake, so the error shows the spelling that works.
    /// </summary>
    private FieldReader ControlFields(Field field)
    {
        if (field.Node is YamlScalar { IsQuoted: false, Value: "true" or "false" } scalar)
        {
            string control = field.Path[(field.Path.LastIndexOf('.') + 1)..];
            Report(field, $"expected a mapping, got '{scalar.Value}'; write {control}: {{ enabled: {scalar.Value} }}");
            return new FieldReader(this, null, field.Path);
        }

        return Fields(field);
    }

    /// <summary>The <c>enabled</c> and <c>mode</c> fields every control has.</summary>
    private (bool Enabled, EnforcementMode Mode) ReadSwitches(FieldReader fields, EnforcementMode inheritedMode)
    {
        bool enabled = ReadBool(fields.Optional("enabled"), defaultValue: true);
        EnforcementMode mode = ReadMode(fields.Optional("mode")) ?? inheritedMode;
        return (enabled, mode);
    }

    // ---- Value readers: each reports its own errors and returns null/default when absent or bad.

    private void ReadConstant(Field field, string expected)
    {
        if (field.Node is null)
        {
            return;
        }

        string fieldName = field.Path[(field.Path.LastIndexOf('.') + 1)..];
        if (field.Node is YamlScalar { IsNull: false } scalar)
        {
            if (scalar.Value != expected)
            {
                Report(field, $"unsupported {fieldName} '{scalar.Value}'; it must be '{expected}'");
            }
        }
        else
        {
            Report(field, $"expected '{expected}', got {Describe(field.Node)}");
        }
    }

    private string? ReadString(Field field)
    {
        if (field.Node is null)
        {
            return null;
        }

        if (field.Node is YamlScalar { IsNull: false } scalar)
        {
            return scalar.Value;
        }

        Report(field, $"expected a string, got {Describe(field.Node)}");
        return null;
    }

    private bool ReadBool(Field field, bool defaultValue)
    {
        // Only the YAML 1.2 spellings: "yes", "on" and friends are too easy to write by accident.
        switch (field.Node)
        {
            case null:
                return defaultValue;
            case YamlScalar { IsQuoted: false, Value: "true" }:
                return true;
            case YamlScalar { IsQuoted: false, Value: "false" }:
                return false;
            default:
                Report(field, $"expected a boolean (true or false), got {Describe(field.Node)}");
                return defaultValue;
        }
    }

    private EnforcementMode? ReadMode(Field field)
    {
        const string Allowed = "allowed values: enforce, audit";
        switch (field.Node)
        {
            case null:
                return null;
            case YamlScalar { IsNull: false, Value: "enforce" }:
                return EnforcementMode.Enforce;
            case YamlScalar { IsNull: false, Value: "audit" }:
                return EnforcementMode.Audit;
            case YamlScalar { IsNull: false } scalar:
                string hint = scalar.Value.ToLowerInvariant() is "enforce" or "audit" ? " (values are case-sensitive)" : string.Empty;
                Report(field, $"invalid mode '{scalar.Value}'; {Allowed}{hint}");
                return null;
            default:
                Report(field, $"expected a mode ({Allowed}), got {Describe(field.Node)}");
                return null;
        }
    }

    private ReadOnlyCollection<ExecutableGlob> ReadGlobs(Field field)
    {
        if (field.Node is null)
        {
            return ReadOnlyCollection<ExecutableGlob>.Empty;
        }

        if (field.Node is not YamlSequence sequence)
        {
            Report(field, $"expected a list of glob patterns, got {Describe(field.Node)}");
            return ReadOnlyCollection<ExecutableGlob>.Empty;
        }

        var globs = new List<ExecutableGlob>(sequence.Items.Count);
        for (int i = 0; i < sequence.Items.Count; i++)
        {
            var item = new Field($"{field.Path}[{i}]", sequence.Items[i]);
            if (item.Node is not YamlScalar { IsNull: false } scalar)
            {
                Report(item, $"expected a glob pattern, got {Describe(item.Node!)}");
            }
            else if (ExecutableGlob.TryParse(scalar.Value, out ExecutableGlob? glob, out string error))
            {
                globs.Add(glob);
            }
            else
            {
                Report(item, $"invalid glob '{scalar.Value}': {error}");
            }
        }

        return globs.AsReadOnly();
    }

    /// <summary>A decimal integer in [<paramref name="min"/>, <paramref name="max"/>]; quoted numbers are strings, not integers.</summary>
    private int ReadInt(Field field, int min, int max, int defaultValue)
    {
        if (field.Node is null)
        {
            return defaultValue;
        }

        string range = $"from {min} to {max}";
        if (field.Node is not YamlScalar { IsQuoted: false } scalar || !IsInteger(scalar.Value))
        {
            Report(field, $"expected an integer {range}, got {Describe(field.Node)}");
            return defaultValue;
        }

        // The text is [-+]?[0-9]+, so a failed parse can only be an overflow: out of range too.
        if (!long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value)
            || value < min || value > max)
        {
            string fieldName = field.Path[(field.Path.LastIndexOf('.') + 1)..];
            Report(field, $"{fieldName} must be {range}, got {scalar.Value}");
            return defaultValue;
        }

        return (int)value;
    }

    private static bool IsInteger(string text)
    {
        int start = text.Length > 0 && text[0] is '-' or '+' ? 1 : 0;
        if (start == text.Length)
        {
            return false;
        }

        for (int i = start; i < text.Length; i++)
        {
            if (text[i] is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    private ReadOnlyCollection<IpNetwork> ReadNetworks(Field field)
    {
        if (field.Node is null)
        {
            return ReadOnlyCollection<IpNetwork>.Empty;
        }

        if (field.Node is not YamlSequence sequence)
        {
            Report(field, $"expected a list of networks in CIDR notation (e.g. [10.0.0.0/8, \"fd00::/8\"]), got {Describe(field.Node)}");
            return ReadOnlyCollection<IpNetwork>.Empty;
        }

        var networks = new List<IpNetwork>(sequence.Items.Count);
        for (int i = 0; i < sequence.Items.Count; i++)
        {
            var item = new Field($"{field.Path}[{i}]", sequence.Items[i]);
            if (item.Node is not YamlScalar { IsNull: false } scalar)
            {
                Report(item, $"expected a network in CIDR notation such as 10.0.0.0/8, got {Describe(item.Node!)}");
            }
            else if (IpNetwork.TryParse(scalar.Value, out IpNetwork? network, out string error))
            {
                networks.Add(network);
            }
            else
            {
                Report(item, $"invalid network '{scalar.Value}': {error}");
            }
        }

        return networks.AsReadOnly();
    }

    private IReadOnlyList<string> ReadInterpreters(Field field)
    {
        if (field.Node is null)
        {
            return ReverseShellPolicy.DefaultInterpreters;
        }

        if (field.Node is not YamlSequence sequence)
        {
            Report(field, $"expected a list of executable names, got {Describe(field.Node)}");
            return ReverseShellPolicy.DefaultInterpreters;
        }

        var names = new List<string>(sequence.Items.Count);
        for (int i = 0; i < sequence.Items.Count; i++)
        {
            var item = new Field($"{field.Path}[{i}]", sequence.Items[i]);
            if (item.Node is not YamlScalar { IsNull: false } scalar)
            {
                Report(item, $"expected an executable name, got {Describe(item.Node!)}");
            }
            else if (scalar.Value.Length == 0)
            {
                Report(item, "the executable name is empty");
            }
            else if (scalar.Value.Contains('/', StringComparison.Ordinal))
            {
                // Names are matched against the executable's file name, so a path would never match.
                string baseName = scalar.Value[(scalar.Value.LastIndexOf('/') + 1)..];
                string hint = baseName.Length == 0 ? string.Empty : $"; did you mean '{baseName}'?";
                Report(item, $"invalid interpreter name '{scalar.Value}': give a file name, not a path (it is matched against the executable's file name){hint}");
            }
            else
            {
                names.Add(scalar.Value);
            }
        }

        return names.AsReadOnly();
    }

    // ---- Plumbing ------------------------------------------------------------------------------

    /// <summary>A reader over the mapping <paramref name="field"/> holds; absent or not a mapping yields an empty reader.</summary>
    private FieldReader Fields(Field field)
    {
        YamlMapping? mapping = field.Node as YamlMapping;
        if (field.Node is not null && mapping is null)
        {
            Report(field, $"expected a mapping, got {Describe(field.Node)}");
        }

        return new FieldReader(this, mapping, field.Path);
    }

    private static string Describe(YamlNode node) => node switch
    {
        YamlMapping => "a mapping",
        YamlSequence => "a list",
        YamlScalar { IsQuoted: false, Value: "" } => "an empty value",
        YamlScalar { IsQuoted: true } scalar => $"the quoted string \"{scalar.Value}\"",
        YamlScalar scalar => $"'{scalar.Value}'",
        _ => "an unsupported value",
    };

    private void Report(Field field, string message) => Report(field.Node!, field.Path, message);

    private void Report(YamlNode at, string path, string message) =>
        _errors.Add(new PolicyError(_source, at.Line, at.Column, path, message));

    /// <summary>A field's dotted path and its value, or a null value when the field is absent.</summary>
    private readonly record struct Field(string Path, YamlNode? Node);

    /// <summary>
    /// Hands out the fields of one mapping and remembers which names were asked for: whatever the
    /// binder never asked for is, by definition, an unknown field.
    /// </summary>
    private sealed class FieldReader(PolicyBinder binder, YamlMapping? mapping, string path)
    {
        private readonly List<string> _known = [];

        public Field Optional(string name)
        {
            _known.Add(name);
            return new Field(PathOf(name), mapping is not null && mapping.TryGetValue(name, out YamlNode? node) ? node : null);
        }

        public Field Required(string name)
        {
            Field field = Optional(name);
            if (field.Node is null && mapping is not null)
            {
                binder.Report(mapping, field.Path, $"missing required field '{name}'");
            }

            return field;
        }

        /// <summary>Reports the mapping's keys that were never read; call after all reads.</summary>
        public void ReportUnknown()
        {
            if (mapping is null)
            {
                return;
            }

            foreach (YamlMappingEntry entry in mapping.Entries)
            {
                string key = entry.Key.Value;
                if (_known.Contains(key))
                {
                    continue;
                }

                string? suggestion = FieldNameSuggester.Closest(key, _known);
                string didYouMean = suggestion is null ? string.Empty : $"; did you mean '{suggestion}'?";
                binder.Report(entry.Key, PathOf(key), $"unknown field '{key}'{didYouMean} (allowed: {string.Join(", ", _known)})");
            }
        }

        private string PathOf(string name) => path.Length == 0 ? name : $"{path}.{name}";
    }
}
