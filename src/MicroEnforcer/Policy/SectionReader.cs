
namespace MicroEnforcer.Policy;

/// <summary>Turns one list item's text into a value: null with the value, or the error for that item.</summary>
public delegate string? ItemParser<T>(string text, out T value);

/// <summary>
/// Loads the list file at an absolute <paramref name="path"/>: null with its contents, or why it
/// cannot be loaded (which refuses the policy); <paramref name="warnings"/> are the lines it skipped.
/// </summary>
public delegate string? ListFileLoader<T>(string path, out T loaded, out IReadOnlyList<string> warnings);

/// <summary>
/// What a <see cref="PolicySection"/> reads its fields through. Each read names a field, which
/// makes it a known field of the section; every value is checked and a bad one reported with its
/// line, column and path, and the default stands in for it so that the rest is still read.
/// </summary>
public sealed class SectionReader
{
    private readonly PolicyBinder _binder;
    private readonly PolicyBinder.FieldReader _fields;

    internal SectionReader(PolicyBinder binder, PolicyBinder.FieldReader fields, EnforcementMode inheritedMode)
    {
        _binder = binder;
        _fields = fields;
        InheritedMode = inheritedMode;
    }

    /// <summary><c>spec.mode</c>, which a control follows unless it has a <c>mode</c> of its own.</summary>
    public EnforcementMode InheritedMode { get; }

    /// <summary>The <c>enabled</c> field (default: on) and the <c>mode</c> field every control has.</summary>
    public (bool Enabled, EnforcementMode Mode) Switches(bool enabledByDefault = true) =>
        (Bool("enabled", enabledByDefault), _binder.ReadMode(_fields.Optional("mode")) ?? InheritedMode);

    /// <summary>For an audit-only control: <c>enabled</c>, and <c>mode</c> refused unless it says audit.</summary>
    public bool AuditOnlySwitch(bool enabledByDefault)
    {
        PolicyBinder.Field mode = _fields.Optional("mode");
        if (_binder.ReadMode(mode) == EnforcementMode.Enforce)
            _binder.Report(mode, "this control only audits: it reports and never blocks, so its mode can only be 'audit'");
        return Bool("enabled", enabledByDefault);
    }

    /// <summary>
    /// For a control that is always on and enforcing (<paramref name="why"/> says why): <c>enabled</c>
    /// refused unless true, <c>mode</c> refused unless enforce. <c>spec.mode</c> does not change it.
    /// </summary>
    public void AlwaysEnforcedSwitch(string why)
    {
        PolicyBinder.Field mode = _fields.Optional("mode");
        if (_binder.ReadMode(mode) == EnforcementMode.Audit)
            _binder.Report(mode, $"this control cannot only audit: {why}, so its mode can only be 'enforce'");
        PolicyBinder.Field enabled = _fields.Optional("enabled");
        if (!_binder.ReadBool(enabled, defaultValue: true))
            _binder.Report(enabled, $"this control cannot be turned off: {why}");
    }

    public bool Bool(string name, bool defaultValue) => _binder.ReadBool(_fields.Optional(name), defaultValue);

    /// <summary>A decimal integer from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public int Int(string name, int min, int max, int defaultValue) => _binder.ReadInt(_fields.Optional(name), min, max, defaultValue);

    /// <summary>
    /// A duration (<see cref="PolicyDuration"/>: <c>10s</c>, <c>1m</c>, <c>500ms</c>) from
    /// <paramref name="min"/> to <paramref name="max"/>.
    /// </summary>
    public TimeSpan Duration(string name, TimeSpan min, TimeSpan max, TimeSpan defaultValue)
    {
        PolicyBinder.Field field = _fields.Optional(name);
        if (field.Node is null)
            return defaultValue;
        if (_binder.ReadString(field) is not { } text)
            return defaultValue;
        if (!PolicyDuration.TryParse(text, out TimeSpan value, out string error))
        {
            _binder.Report(field, error);
            return defaultValue;
        }
        if (value < min || value > max)
        {
            _binder.Report(field, $"{name} must be from {PolicyDuration.Format(min)} to {PolicyDuration.Format(max)}, got {text}");
            return defaultValue;
        }
        return value;
    }

    /// <summary>A list of executable path globs (<see cref="PathGlob"/>); empty when absent.</summary>
    public PolicyList<PathGlob> Globs(string name) =>
        ReadOnly(List<PathGlob>(name, "a list of glob patterns", "a glob pattern", static (string text, out PathGlob glob) =>
        {
            bool valid = PathGlob.TryParse(text, out PathGlob? parsed, out string error);
            glob = parsed!;
            return valid ? null : $"invalid glob '{text}': {error}";
        }));

    /// <summary>A list of executables (<see cref="ExecutableEntry"/>: absolute path globs or file names); empty when absent.</summary>
    public PolicyList<ExecutableEntry> Executables(string name) =>
        ReadOnly(List<ExecutableEntry>(name, "a list of executables (absolute path globs or file names)", "an absolute path glob or a file name",
            static (string text, out ExecutableEntry entry) =>
            {
                bool valid = ExecutableEntry.TryParse(text, out ExecutableEntry? parsed, out string error);
                entry = parsed!;
                return valid ? null : error;
            }));

    /// <summary>A list of networks in CIDR notation (a bare address is that one address); empty when absent.</summary>
    public PolicyList<IpNetwork> Networks(string name) =>
        ReadOnly(List(name, "a list of networks in CIDR notation (e.g. [10.0.0.0/8, \"fd00::/8\"])",
            "a network in CIDR notation such as 10.0.0.0/8", static (string text, out IpNetwork network) =>
            {
                bool valid = IpNetwork.TryParse(text, out IpNetwork? parsed, out string error);
                network = parsed!;
                return valid ? null : $"invalid network '{text}': {error}";
            }));

    /// <summary>A list of ports and port ranges (<see cref="PortRange"/>: <c>80</c>, <c>"1-1023"</c>); empty when absent.</summary>
    public PolicyList<PortRange> Ports(string name) =>
        ReadOnly(List(name, "a list of ports or port ranges (e.g. [22, 3333, \"6000-6063\"])", "a port such as 443 or a range such as 1-1023",
            static (string text, out PortRange range) => PortRange.TryParse(text, out range, out string error) ? null : error));

    /// <summary>
    /// A list of domain names (<see cref="DomainName"/>: each covers its subdomains; <c>*.</c> may
    /// lead); empty when absent.
    /// </summary>
    public PolicyList<DomainName> Domains(string name) =>
        ReadOnly(List(name, "a list of domain names (e.g. [pool.minexmr.com, \"*.example.org\"])", "a domain name such as example.com",
            static (string text, out DomainName domain) => DomainName.TryParse(text, out domain, out string error) ? null : error));

    /// <summary>
    /// A list of list files, each named by its absolute path and loaded now by <paramref name="load"/>,
    /// so that a file that cannot be read refuses the policy (at the line that names it) before
    /// anything starts. The lines a file skipped become the load's warnings
    /// (<see cref="PolicyLoadResult.Warnings"/>) besides what the loaded value carries. Empty when absent.
    /// </summary>
    public PolicyList<T> ListFiles<T>(string name, ListFileLoader<T> load)
    {
        ArgumentNullException.ThrowIfNull(load);
        var warnings = new List<string>();
        PolicyList<T> files = ReadOnly(List(name, "a list of absolute paths of list files (domains, networks or hosts-file lines)", "an absolute file path",
            (string text, out T loaded) =>
            {
                loaded = default!;
                if (!text.StartsWith('/'))
                    return $"'{text}' is not an absolute path: name a list file by its absolute path";
                if (load(text, out loaded, out IReadOnlyList<string> skipped) is { } error)
                    return $"cannot load list file '{text}': {error}";
                warnings.AddRange(skipped);
                return null;
            }));
        foreach (string warning in warnings)
            _binder.Warn(warning);
        return files;
    }

    /// <summary>
    /// A list of file path globs: absolute, not empty, no <c>.</c> or <c>..</c> segment (a glob
    /// names paths as the kernel resolves them from the root); empty when absent.
    /// </summary>
    public PolicyList<PathGlob> FilePaths(string name) =>
        ReadOnly(List<PathGlob>(name, "a list of absolute path globs (e.g. [/etc/shadow, /root/.ssh/**])", "an absolute path glob",
            static (string text, out PathGlob glob) => ParseFilePath(text, out glob)));

    /// <summary>
    /// A list of <see cref="FileEntry"/>: each a file path glob (every kind of access), or a
    /// mapping with <c>path</c> and <c>block</c> (a non-empty list of read, write, exec).
    /// </summary>
    public PolicyList<FileEntry> FileEntries(string name) =>
        ReadOnly(_binder.ReadEntries(_fields.Optional(name),
            "a list of absolute path globs, or of {path: GLOB, block: [read, write, exec]}", "an absolute path glob or {path, block}",
            static (string text, out FileEntry entry) =>
            {
                string? error = ParseFilePath(text, out PathGlob glob);
                entry = new FileEntry(glob, FileAccessKind.All);
                return error;
            },
            (fields, binder) =>
            {
                PolicyBinder.Field pathField = fields.Required("path");
                PolicyBinder.Field blockField = fields.Optional("block");
                fields.ReportUnknown();
                string? text = binder.ReadString(pathField);
                if (text is null)
                    return (false, null!);
                if (ParseFilePath(text, out PathGlob glob) is { } error)
                {
                    binder.Report(pathField, error);
                    return (false, null!);
                }
                FileAccessKind access = FileAccessKind.All;
                if (binder.ReadList<FileAccessKind>(blockField, "a list of read, write, exec", "read, write or exec", FileAccessKindText.Parse) is { } kinds)
                {
                    access = kinds.Aggregate(FileAccessKind.None, (all, kind) => all | kind);
                    if (access == FileAccessKind.None && blockField.Node is Yaml.YamlSequence { Items.Count: 0 })
                    {
                        binder.Report(blockField, "block must name at least one of read, write, exec (leave it out to block all three)");
                        return (false, null!);
                    }
                    if (access == FileAccessKind.None)
                        return (false, null!);   // each bad kind was reported
                }
                return (true, new FileEntry(glob, access));
            }) is { } items ? PolicyList.From(items) : null);

    /// <summary>Reports <paramref name="second"/> when both fields are given: <paramref name="why"/> says which to keep.</summary>
    public void NotBoth(string first, string second, string why)
    {
        PolicyBinder.Field a = _fields.Optional(first), b = _fields.Optional(second);
        if (a.Node is not null && b.Node is not null)
            _binder.Report(b, $"{first} and {second} cannot both be given: {why}");
    }

    /// <summary>As <see cref="Ports"/>, but null when absent: an allow list that is absent allows everything, an empty one nothing.</summary>
    public PolicyList<PortRange>? OptionalPorts(string name) =>
        List(name, "a list of ports or port ranges (e.g. [22, 3333, \"6000-6063\"])", "a port such as 443 or a range such as 1-1023",
            static (string text, out PortRange range) => PortRange.TryParse(text, out range, out string error) ? null : error);

    /// <summary><c>fallback</c>: what an enforcing control does where the kernel lacks its mechanism.</summary>
    public FallbackMode Fallback()
    {
        PolicyBinder.Field field = _fields.Optional("fallback");
        switch (_binder.ReadString(field))
        {
            case null or "refuse":
                return FallbackMode.Refuse;
            case "audit":
                return FallbackMode.Audit;
            case { } other:
                _binder.Report(field, $"invalid fallback '{other}'; allowed values: refuse (do not start), audit (run the control in audit mode)");
                return FallbackMode.Refuse;
        }
    }

    private static string? ParseFilePath(string text, out PathGlob glob)
    {
        glob = null!;
        if (text.Length == 0)
            return "the path is empty";
        if (text[0] != '/')
            return $"'{text}' is a relative path: file paths must be absolute (start with '/')";
        foreach (string segment in text.Split('/'))
        {
            if (segment is "." or "..")
                return $"'{text}' has a '{segment}' segment: write the path as the kernel resolves it from the root";
        }
        if (text.Length > 1 && text.EndsWith('/'))
            return $"'{text}' ends with '/': name the directory ('{text.TrimEnd('/')}') or its contents ('{text}**')";
        if (!PathGlob.TryParse(text, out PathGlob? parsed, out string error))
            return $"invalid glob '{text}': {error}";
        glob = parsed!;
        return null;
    }

    /// <summary>A list of items of the section's own kind; null when absent (the section's default applies).</summary>
    public PolicyList<T>? List<T>(string name, string listDescription, string itemDescription, ItemParser<T> parse) =>
        _binder.ReadList(_fields.Optional(name), listDescription, itemDescription, parse) is { } items ? PolicyList.From(items) : null;

    private static PolicyList<T> ReadOnly<T>(PolicyList<T>? list) => list ?? PolicyList<T>.Empty;
}
