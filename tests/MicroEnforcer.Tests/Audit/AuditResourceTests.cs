using MicroEnforcer.Audit;
using Xunit;

namespace MicroEnforcer.Tests.Audit;

public sealed class AuditResourceTests
{
    // The shape of GET ${ECS_CONTAINER_METADATA_URI_V4} on Fargate (AWS's documented example, trimmed).
    private const string EcsContainer = """
        {
          "DockerId": "cd189a933e5849daa93386466019ab50-2495160603",
          "Name": "curl",
          "DockerName": "curl",
          "Image": "111122223333.dkr.ecr.us-west-2.amazonaws.com/curltest:latest",
          "ImageID": "sha256:25f3695bedfb454a50f12d127839a68ad3caf91e451c1da073db34c542c4d2cb",
          "Labels": {
            "com.amazonaws.ecs.cluster": "arn:aws:ecs:us-west-2:111122223333:cluster/default",
            "com.amazonaws.ecs.container-name": "curl",
            "com.amazonaws.ecs.task-arn": "arn:aws:ecs:us-west-2:111122223333:task/default/cd189a933e5849daa93386466019ab50",
            "com.amazonaws.ecs.task-definition-family": "curltest",
            "com.amazonaws.ecs.task-definition-version": "2"
          },
          "DesiredStatus": "RUNNING",
          "KnownStatus": "RUNNING",
          "Limits": { "CPU": 10, "Memory": 128 },
          "ContainerARN": "arn:aws:ecs:us-west-2:111122223333:container/05966557-f16c-49cb-9352-24b3a0dcd0e1",
          "Networks": [ { "NetworkMode": "awsvpc", "IPv4Addresses": [ "10.0.2.106" ] } ]
        }
        """;

    [Fact]
    public void EcsMetadataNamesTheContainerImageTaskAndCluster()
    {
        AuditResource resource = AuditResource.FromEnvironment(_ => null, "ip-10-0-2-106", "0.1.0").WithEcsMetadata(EcsContainer);

        Assert.Equal("curl", resource.ContainerName);
        Assert.Equal("111122223333.dkr.ecr.us-west-2.amazonaws.com/curltest", resource.ImageRepository);
        Assert.Equal("latest", resource.ImageTag);
        Assert.Equal("arn:aws:ecs:us-west-2:111122223333:task/default/cd189a933e5849daa93386466019ab50", resource.EcsTaskArn);
        Assert.Equal("arn:aws:ecs:us-west-2:111122223333:cluster/default", resource.EcsCluster);
        Dictionary<string, object> attributes = resource.Attributes().ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal("aws", attributes["cloud.provider"]);
        Assert.Equal("aws_ecs", attributes["cloud.platform"]);
        Assert.Equal("curl", attributes["container.name"]);
        Assert.Equal("cd189a933e5849daa93386466019ab50-2495160603", attributes["container.id"]);
        Assert.Equal(resource.EcsCluster, attributes["aws.ecs.cluster.arn"]);
        Assert.Equal("curltest", attributes["aws.ecs.task.family"]);
        Assert.Equal("2", attributes["aws.ecs.task.revision"]);
        Assert.False(attributes.ContainsKey("k8s.pod.name"));
    }

    [Fact]
    public void WhatTheEnvironmentSetWinsOverEcs()
    {
        AuditResource resource = AuditResource.FromEnvironment(n => n == "MICROENFORCER_IMAGE" ? "app:1" : null, null, "0.1.0")
            .WithEcsMetadata("""{"Name":"x","Image":"other:2","Labels":{"com.amazonaws.ecs.cluster":"default"}}""");

        Assert.Equal("app:1", resource.Image);
        Assert.Equal("x", resource.ContainerName);
        Dictionary<string, object> attributes = resource.Attributes().ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal("default", attributes["microenforcer.ecs.cluster"]);   // a name, not an ARN
        Assert.False(attributes.ContainsKey("aws.ecs.cluster.arn"));
        Assert.False(attributes.ContainsKey("host.name"));
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[1,2]")]
    [InlineData("")]
    public void MetadataThatIsNoJsonObjectIsAFormatError(string json)
    {
        Assert.Throws<FormatException>(() => AuditResource.FromEnvironment(_ => null, null, "0.1.0").WithEcsMetadata(json));
    }

    [Theory]
    [InlineData("nginx", "nginx", null, null)]
    [InlineData("nginx:1.27", "nginx", "1.27", null)]
    [InlineData("localhost:5000/app", "localhost:5000/app", null, null)]
    [InlineData("localhost:5000/app:v2@sha256:ff", "localhost:5000/app", "v2", "sha256:ff")]
    [InlineData("docker.io/library/alpine@sha256:00", "docker.io/library/alpine", null, "sha256:00")]
    public void AnImageReferenceSplitsIntoRepositoryTagAndDigest(string image, string repository, string? tag, string? digest)
    {
        Assert.Equal((repository, tag, digest), AuditResource.SplitImage(image));
    }

    [Fact]
    public void ThisProcessHasTheBinarysVersionAndItsHostName()
    {
        AuditResource current = AuditResource.Current;

        Assert.Equal(AuditResource.BinaryVersion(), current.ServiceVersion);
        Assert.StartsWith("0.", current.ServiceVersion, StringComparison.Ordinal);
        Assert.Equal(Environment.MachineName, current.HostName);
    }
}
