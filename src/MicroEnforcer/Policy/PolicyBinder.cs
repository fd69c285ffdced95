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
/// it: each control's section reads its own (<see cref="PolicySection"/>), so adding a control
/// adds its section to the list the binder is given, and the unknown-field check and suggestions
/// pick the new names up by themselves.
/// </remarks>
internal sealed class PolicyBinder
{
    private const string DefaultName = "unnamed";

    private readonly string _source;
    private readonly IReadOnlyList<PolicySection> _sections;
    private readonly List<PolicyError> _errors = [];
    private readonly List<string> _warnings = [];

    private PolicyBinder(string source, IReadOnlyList<PolicySection> sections) => (_source, _sections) = (source, sections);

    public static PolicyLoadResult Bind(YamlNode? root, string source, IReadOnlyList<PolicySection> sections)
    {
        var binder = new PolicyBinder(source, sections);
        RuntimePolicy? policy = binder.BindDocument(root);
        return policy is not null && binder._errors.Count == 0
            ? PolicyLoadResult.Success(policy, binder._warnings)
            : PolicyLoadResult.Failure([.. binder._errors.OrderBy(e => e.Line).ThenBy(e => e.Column)], binder._warnings);
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
        var controls = new ControlPolicy[_sections.Count];
        for (int i = 0; i < _sections.Count; i++)
        {
            FieldReader section = ControlFields(fields.Optional(_sections[i].Name));
            controls[i] = _sections[i].Bind(new SectionReader(this, section, mode));
            section.ReportUnknown();
        }

        bool allowIoUring = ReadBool(fields.Optional("allowIoUring"), defaultValue: false);
        AuditPolicy audit = AuditSection.Bind(this, fields.Optional("audit"));
        fields.ReportUnknown();
        return new RuntimePolicy(name, mode, [.. controls]) { AllowIoUring = allowIoUring, Audit = audit };
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

    internal string? ReadString(Field field)
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

    internal bool ReadBool(Field field, bool defaultValue)
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

    internal EnforcementMode? ReadMode(Field field)
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

    /// <summary>A decimal integer in [<paramref name="min"/>, <paramref name="max"/>]; quoted numbers are strings, not integers.</summary>
    internal int ReadInt(Field field, int min, int max, int defaultValue)
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

    /// <summary>
    /// A list of scalars, each turned into an item by <paramref name="parse"/> (null: valid, with
    /// the item; else the error for that item). Null when the field is absent or not a list.
    /// </summary>
    internal List<T>? ReadList<T>(Field field, string listDescription, string itemDescription, ItemParser<T> parse) =>
        ReadEntries(field, listDescription, itemDescription, parse, readMapping: null);

    /// <summary>
    /// A list whose items are scalars (<paramref name="parse"/>) or mappings (<paramref name="readMapping"/>,
    /// which reads the item's fields, reports its own errors and says whether the item is valid;
    /// none: a mapping is reported as the wrong kind of item). Null when
    /// the field is absent or not a list.
    /// </summary>
    internal List<T>? ReadEntries<T>(Field field, string listDescription, string itemDescription, ItemParser<T> parse,
        Func<FieldReader, PolicyBinder, (bool Valid, T Item)>? readMapping)
    {
        if (field.Node is null)
        {
            return null;
        }

        if (field.Node is not YamlSequence sequence)
        {
            Report(field, $"expected {listDescription}, got {Describe(field.Node)}");
            return null;
        }

        var items = new List<T>(sequence.Items.Count);
        for (int i = 0; i < sequence.Items.Count; i++)
        {
            var item = new Field($"{field.Path}[{i}]", sequence.Items[i]);
            switch (item.Node)
            {
                case YamlScalar { IsNull: false } scalar:
                    if (parse(scalar.Value, out T? value) is { } error)
                    {
                        Report(item, error);
                    }
                    else
                    {
                        items.Add(value!);
                    }

                    break;
                case YamlMapping when readMapping is not null:
                    (bool valid, T entry) = readMapping(Fields(item), this);
                    if (valid)
                    {
                        items.Add(entry);
                    }

                    break;
                default:
                    Report(item, $"expected {itemDescription}, got {Describe(item.Node!)}");
                    break;
            }
        }

        return items;
    }

    // ---- Plumbing ------------------------------------------------------------------------------

    /// <summary>A reader over the mapping <paramref name="field"/> holds; absent or not a mapping yields an empty reader.</summary>
    internal FieldReader Fields(Field field)
    {
        YamlMapping? mapping = field.Node as YamlMapping;
        if (field.Node is not null && mapping is null)
        {
            Report(field, $"expected a mapping, got {Describe(field.Node)}");
        }

        return new FieldReader(this, mapping, field.Path);
    }

    internal static string Describe(YamlNode node) => node switch
    {
        YamlMapping => "a mapping",
        YamlSequence => "a list",
        YamlScalar { IsQuoted: false, Value: "" } => "an empty value",
        YamlScalar { IsQuoted: true } scalar => $"the quoted string \"{scalar.Value}\"",
        YamlScalar scalar => $"'{scalar.Value}'",
        _ => "an unsupported value",
    };

    /// <summary>Something worth telling that does not refuse the policy (a list file's skipped line).</summary>
    internal void Warn(string message) => _warnings.Add(message);

    internal void Report(Field field, string message) => Report(field.Node!, field.Path, message);

    private void Report(YamlNode at, string path, string message) =>
        _errors.Add(new PolicyError(_source, at.Line, at.Column, path, message));

    /// <summary>A field's dotted path and its value, or a null value when the field is absent.</summary>
    internal readonly record struct Field(string Path, YamlNode? Node);

    /// <summary>
    /// Hands out the fields of one mapping and remembers which names were asked for: whatever the
    /// binder never asked for is, by definition, an unknown field.
    /// </summary>
    internal sealed class FieldReader(PolicyBinder binder, YamlMapping? mapping, string path)
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
