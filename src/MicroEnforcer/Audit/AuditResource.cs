using System.Reflection;
using System.Text.Json;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Audit;

/// <summary>
/// Who writes the audit events: the enforcer's version, the host (the container's hostname), and
/// the workload's identity where something told it: the pod, namespace, container and image from
/// the downward API (MICROENFORCER_POD_NAME, MICROENFORCER_POD_NAMESPACE,
/// MICROENFORCER_CONTAINER_NAME, MICROENFORCER_IMAGE, which the injector sets), or on ECS the
/// container's metadata (<see cref="WithEcsMetadata"/>). Read once; every event of the process
/// shares it (OTLP's resource, Falco's hostname and k8s fields, syslog's HOSTNAME).
/// </summary>
internal sealed record AuditResource
{
    public const string ServiceName = "microenforcer";

    /// <summary>The binary's version as <c>microenforcer version</c> prints it (0.1.0+revision).</summary>
    public required string ServiceVersion { get; init; }

    /// <summary>The UTS node name; null when unknown.</summary>
    public string? HostName { get; init; }

    public string? PodName { get; init; }
    public string? Namespace { get; init; }
    public string? ContainerName { get; init; }

    /// <summary>The image reference as given: [registry/]repository[:tag][@digest].</summary>
    public string? Image { get; init; }

    /// <summary>ECS: the container's Docker id.</summary>
    public string? ContainerId { get; init; }
    public string? EcsTaskArn { get; init; }

    /// <summary>ECS: the cluster as its label gives it (an ARN on Fargate, a name on EC2).</summary>
    public string? EcsCluster { get; init; }
    public string? EcsContainerArn { get; init; }
    public string? EcsTaskFamily { get; init; }
    public string? EcsTaskRevision { get; init; }

    private static readonly Lazy<AuditResource> Process = new(() => FromEnvironment(Environment.GetEnvironmentVariable, Libc.NodeName(), BinaryVersion()));

    /// <summary>This process's: read on first use, from the environment and uname.</summary>
    public static AuditResource Current => Process.Value;

    public static AuditResource FromEnvironment(Func<string, string?> environment, string? hostName, string version) => new()
    {
        ServiceVersion = version,
        HostName = NonEmpty(hostName),
        PodName = NonEmpty(environment("MICROENFORCER_POD_NAME")),
        Namespace = NonEmpty(environment("MICROENFORCER_POD_NAMESPACE")),
        ContainerName = NonEmpty(environment("MICROENFORCER_CONTAINER_NAME")),
        Image = NonEmpty(environment("MICROENFORCER_IMAGE")),
    };

    /// <summary>
    /// This process's resource with what ECS says of the container (the JSON of
    /// <c>GET $ECS_CONTAINER_METADATA_URI_V4</c>, which the caller fetched): Name, Image, DockerId,
    /// ContainerARN and the labels com.amazonaws.ecs.task-arn, com.amazonaws.ecs.cluster,
    /// com.amazonaws.ecs.task-definition-family and -version. What the environment set wins.
    /// </summary>
    public static AuditResource FromEcsMetadata(string json) => Current.WithEcsMetadata(json);

    /// <exception cref="FormatException">The text is not a JSON object.</exception>
    public AuditResource WithEcsMetadata(string json)
    {
        // JsonDocument, not a serializer: no reflection, so nothing Native AOT has to keep.
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"the ECS container metadata is not JSON: {e.Message}", e);
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new FormatException("the ECS container metadata is not a JSON object");
            JsonElement labels = root.TryGetProperty("Labels", out JsonElement found) && found.ValueKind == JsonValueKind.Object ? found : default;
            return this with
            {
                ContainerName = ContainerName ?? String(root, "Name"),
                Image = Image ?? String(root, "Image"),
                ContainerId = ContainerId ?? String(root, "DockerId"),
                EcsContainerArn = EcsContainerArn ?? String(root, "ContainerARN"),
                EcsTaskArn = EcsTaskArn ?? String(labels, "com.amazonaws.ecs.task-arn"),
                EcsCluster = EcsCluster ?? String(labels, "com.amazonaws.ecs.cluster"),
                EcsTaskFamily = EcsTaskFamily ?? String(labels, "com.amazonaws.ecs.task-definition-family"),
                EcsTaskRevision = EcsTaskRevision ?? String(labels, "com.amazonaws.ecs.task-definition-version"),
            };
        }
    }

    /// <summary>The image's repository, without tag or digest (registry.example/team/app).</summary>
    public string? ImageRepository => Image is null ? null : SplitImage(Image).Repository;

    public string? ImageTag => Image is null ? null : SplitImage(Image).Tag;

    public string? ImageDigest => Image is null ? null : SplitImage(Image).Digest;

    /// <summary>[registry[:port]/]path[:tag][@digest]: a colon is a tag's only after the last slash.</summary>
    public static (string Repository, string? Tag, string? Digest) SplitImage(string image)
    {
        string? digest = null;
        int at = image.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = image[(at + 1)..];
            image = image[..at];
        }
        int slash = image.LastIndexOf('/');
        int colon = image.LastIndexOf(':');
        return colon > slash ? (image[..colon], image[(colon + 1)..], digest) : (image, null, digest);
    }

    /// <summary>
    /// The OpenTelemetry resource attributes (semantic conventions: service, host, k8s, container,
    /// cloud, aws.ecs), in a fixed order; absent facts are left out.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, object>> Attributes()
    {
        var attributes = new List<KeyValuePair<string, object>>
        {
            new("service.name", ServiceName),
            new("service.version", ServiceVersion),
        };
        Add(attributes, "host.name", HostName);
        Add(attributes, "k8s.pod.name", PodName);
        Add(attributes, "k8s.namespace.name", Namespace);
        // In Kubernetes the name is the pod spec's; elsewhere (ECS) the runtime's.
        Add(attributes, PodName is null && Namespace is null ? "container.name" : "k8s.container.name", ContainerName);
        Add(attributes, "container.id", ContainerId);
        if (Image is not null)
        {
            (string repository, string? tag, string? digest) = SplitImage(Image);
            attributes.Add(new("container.image.name", repository));
            if (tag is not null)
                attributes.Add(new("container.image.tags", new[] { tag }));
            if (digest is not null)
                attributes.Add(new("container.image.repo_digests", new[] { $"{repository}@{digest}" }));
        }
        if (EcsTaskArn is not null || EcsCluster is not null || EcsContainerArn is not null)
        {
            attributes.Add(new("cloud.provider", "aws"));
            attributes.Add(new("cloud.platform", "aws_ecs"));
        }
        Add(attributes, "aws.ecs.task.arn", EcsTaskArn);
        // The label is the cluster's ARN on Fargate but may be its name on EC2: only an ARN is aws.ecs.cluster.arn.
        Add(attributes, EcsCluster?.StartsWith("arn:", StringComparison.Ordinal) == false ? "microenforcer.ecs.cluster" : "aws.ecs.cluster.arn", EcsCluster);
        Add(attributes, "aws.ecs.container.arn", EcsContainerArn);
        Add(attributes, "aws.ecs.task.family", EcsTaskFamily);
        Add(attributes, "aws.ecs.task.revision", EcsTaskRevision);
        return attributes;
    }

    /// <summary>As <c>microenforcer version</c> prints it: the informational version, with the source revision.</summary>
    public static string BinaryVersion() =>
        typeof(AuditResource).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private static void Add(List<KeyValuePair<string, object>> attributes, string key, string? value)
    {
        if (value is not null)
            attributes.Add(new(key, value));
    }

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? NonEmpty(value.GetString())
            : null;

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
