namespace MicroEnforcer.Policy;

/// <summary>
/// Reads <c>spec.audit</c> (<see cref="AuditPolicy"/>): queueSize, flushTimeout and the list of
/// sinks, each a mapping whose <c>type</c> decides which other fields it may hold. Not a control
/// section: it decides where every control's events go, not what a control does.
/// </summary>
internal static class AuditSection
{
    public const string Name = "audit";

    public static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(5);

    public static AuditPolicy Bind(PolicyBinder binder, PolicyBinder.Field field)
    {
        if (field.Node is null)
            return AuditPolicy.Default;
        PolicyBinder.FieldReader fields = binder.Fields(field);
        int queueSize = binder.ReadInt(fields.Optional("queueSize"), 1, AuditPolicy.MaxQueueSize, AuditPolicy.DefaultQueueSize);
        TimeSpan flushTimeout = ReadDuration(binder, fields.Optional("flushTimeout"), TimeSpan.Zero, AuditPolicy.MaxFlushTimeout, AuditPolicy.DefaultFlushTimeout);
        PolicyBinder.Field sinksField = fields.Optional("sinks");
        var seen = new List<AuditSinkPolicy>();
        List<AuditSinkPolicy>? sinks = binder.ReadEntries<AuditSinkPolicy>(sinksField,
            "a list of sinks, each a mapping with a type (e.g. [{type: stderr}, {type: otlp, endpoint: http://127.0.0.1:4318}])",
            $"a sink: a mapping with a type ({string.Join(", ", AuditSinkPolicy.Types)})",
            static (string text, out AuditSinkPolicy sink) =>
            {
                sink = null!;
                return $"expected a sink mapping such as {{type: {text}}}, got '{text}'";
            },
            (sinkFields, _) => ReadSink(binder, sinkFields, seen));
        fields.ReportUnknown();
        if (sinksField.Node is Yaml.YamlSequence { Items.Count: 0 })
            binder.Report(sinksField, "sinks must name at least one sink; list {type: stderr} to keep the JSON line on stderr");
        return new AuditPolicy(queueSize, flushTimeout, sinks is null ? AuditPolicy.Default.Sinks : PolicyList.From(sinks));
    }

    private static (bool Valid, AuditSinkPolicy Sink) ReadSink(PolicyBinder binder, PolicyBinder.FieldReader fields, List<AuditSinkPolicy> seen)
    {
        PolicyBinder.Field typeField = fields.Required("type");
        string? type = binder.ReadString(typeField);
        AuditSinkPolicy? sink = type switch
        {
            null => null,
            StderrSinkPolicy.TypeName => StderrSinkPolicy.Instance,
            HttpSinkPolicy.OtlpType or HttpSinkPolicy.FalcoType => ReadHttp(binder, fields, type),
            SyslogSinkPolicy.TypeName => ReadSyslog(binder, fields),
            _ => Unknown(binder, typeField, type),
        };
        // Unknown fields only once the type is known: they are the type's, not another's.
        if (type is not null && AuditSinkPolicy.Types.Contains(type))
            fields.ReportUnknown();
        if (sink is null)
            return (false, null!);
        if (seen.Contains(sink))
        {
            binder.Report(typeField, $"duplicate sink: {sink.Describe()} is listed twice (each event would be delivered twice)");
            return (false, null!);
        }
        seen.Add(sink);
        return (true, sink);
    }

    private static AuditSinkPolicy? Unknown(PolicyBinder binder, PolicyBinder.Field typeField, string type)
    {
        binder.Report(typeField, $"unknown sink type '{type}'; allowed: {string.Join(", ", AuditSinkPolicy.Types)}");
        return null;
    }

    private static HttpSinkPolicy? ReadHttp(PolicyBinder binder, PolicyBinder.FieldReader fields, string type)
    {
        PolicyBinder.Field endpointField = fields.Required("endpoint");
        PolicyBinder.Field caField = fields.Optional("caFile");
        string? caFile = ReadFilePath(binder, caField);
        string? tokenFile = ReadFilePath(binder, fields.Optional("bearerTokenFile"));
        TimeSpan timeout = ReadDuration(binder, fields.Optional("timeout"), MinTimeout, MaxTimeout, HttpSinkPolicy.DefaultTimeout);
        if (binder.ReadString(endpointField) is not { } text)
            return null;
        if (HttpSinkPolicy.ParseEndpoint(type, text, out Uri endpoint) is { } error)
        {
            binder.Report(endpointField, error);
            return null;
        }
        if (caFile is not null && endpoint.Scheme != Uri.UriSchemeHttps)
        {
            binder.Report(caField, $"caFile applies to https only; the endpoint {endpoint} is plain http");
            return null;
        }
        return new HttpSinkPolicy(type, endpoint, caFile, tokenFile, timeout);
    }

    private static SyslogSinkPolicy? ReadSyslog(PolicyBinder binder, PolicyBinder.FieldReader fields)
    {
        PolicyBinder.Field addressField = fields.Required("address");
        bool tls = binder.ReadBool(fields.Optional("tls"), defaultValue: false);
        PolicyBinder.Field caField = fields.Optional("caFile");
        string? caFile = ReadFilePath(binder, caField);
        PolicyBinder.Field facilityField = fields.Optional("facility");
        int facility = SyslogSinkPolicy.DefaultFacility;
        if (binder.ReadString(facilityField) is { } facilityName)
        {
            int code = SyslogSinkPolicy.FacilityNames.ToList().IndexOf(facilityName);
            if (code < 0)
                binder.Report(facilityField, $"unknown facility '{facilityName}'; allowed: {string.Join(", ", SyslogSinkPolicy.FacilityNames)}");
            else
                facility = code;
        }
        PolicyBinder.Field appNameField = fields.Optional("appName");
        string appName = binder.ReadString(appNameField) ?? SyslogSinkPolicy.DefaultAppName;
        if (SyslogSinkPolicy.CheckAppName(appName) is { } appNameError)
        {
            binder.Report(appNameField, appNameError);
            return null;
        }
        if (binder.ReadString(addressField) is not { } address)
            return null;
        if (SyslogSinkPolicy.ParseAddress(address, out string host, out int port) is { } error)
        {
            binder.Report(addressField, error);
            return null;
        }
        if (caFile is not null && !tls)
        {
            binder.Report(caField, "caFile applies to TLS only; add tls: true");
            return null;
        }
        return new SyslogSinkPolicy(host, port, tls, caFile, facility, appName);
    }

    /// <summary>
    /// An absolute path. The file need not exist yet (a Secret may be mounted after the policy
    /// is checked): the sink reads it when it connects and says so in the log if it cannot.
    /// </summary>
    private static string? ReadFilePath(PolicyBinder binder, PolicyBinder.Field field)
    {
        if (binder.ReadString(field) is not { } text)
            return null;
        if (!text.StartsWith('/'))
        {
            string name = field.Path[(field.Path.LastIndexOf('.') + 1)..];
            binder.Report(field, $"'{text}' is not an absolute path: name the {name} by its absolute path");
            return null;
        }
        return text;
    }

    private static TimeSpan ReadDuration(PolicyBinder binder, PolicyBinder.Field field, TimeSpan min, TimeSpan max, TimeSpan defaultValue)
    {
        if (binder.ReadString(field) is not { } text)
            return defaultValue;
        if (!PolicyDuration.TryParse(text, out TimeSpan value, out string error))
        {
            binder.Report(field, error);
            return defaultValue;
        }
        if (value < min || value > max)
        {
            string name = field.Path[(field.Path.LastIndexOf('.') + 1)..];
            binder.Report(field, $"{name} must be from {PolicyDuration.Format(min)} to {PolicyDuration.Format(max)}, got {text}");
            return defaultValue;
        }
        return value;
    }
}
