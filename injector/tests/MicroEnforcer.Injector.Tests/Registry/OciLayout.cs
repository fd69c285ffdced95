using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace MicroEnforcer.Injector.Tests.Registry;

/// <summary>
/// Writes small OCI image layouts (https://github.com/opencontainers/image-spec/blob/main/image-layout.md)
/// for skopeo to push: one layer with a file, a config with the ENTRYPOINT and CMD under test,
/// a manifest, and for multi-platform images an image index over one manifest per platform.
/// </summary>
internal sealed class OciLayout
{
    private readonly string _dir;
    private readonly JsonArray _index = [];

    public OciLayout(string dir)
    {
        _dir = dir;
        Directory.CreateDirectory(Path.Combine(dir, "blobs", "sha256"));
        File.WriteAllText(Path.Combine(dir, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
    }

    public string Directory_ => _dir;

    /// <summary>A single-platform image under TAG (with the config's User and Labels when given); returns its manifest descriptor.</summary>
    public JsonObject AddImage(string tag, string[]? entrypoint, string[]? cmd, string arch = "amd64", string? user = null, IReadOnlyDictionary<string, string>? labels = null) =>
        Tag(Manifest(entrypoint, cmd, arch, user, labels), tag);

    /// <summary>An image index under TAG with one image per (arch, cmd).</summary>
    public JsonObject AddIndex(string tag, string[]? entrypoint, params (string Arch, string[] Cmd)[] platforms)
    {
        var manifests = new JsonArray([.. platforms.Select(p => (JsonNode?)Manifest(entrypoint, p.Cmd, p.Arch))]);
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = manifests,
        };
        return Tag(Blob(index.ToJsonString(), "application/vnd.oci.image.index.v1+json"), tag);
    }

    public void Save() => File.WriteAllText(Path.Combine(_dir, "index.json"),
        new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = "application/vnd.oci.image.index.v1+json", ["manifests"] = _index.DeepClone() }.ToJsonString());

    private JsonObject Tag(JsonObject descriptor, string tag)
    {
        var entry = descriptor.DeepClone().AsObject();
        entry["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = tag };
        _index.Add(entry);
        return descriptor;
    }

    private JsonObject Manifest(string[]? entrypoint, string[]? cmd, string arch, string? user = null, IReadOnlyDictionary<string, string>? labels = null)
    {
        byte[] layer = Layer($"built for the injector's tests ({arch})\n");
        byte[] diffId = Gunzip(layer);
        var imageConfig = new JsonObject();
        if (entrypoint is not null)
            imageConfig["Entrypoint"] = new JsonArray([.. entrypoint.Select(e => (JsonNode?)e)]);
        if (cmd is not null)
            imageConfig["Cmd"] = new JsonArray([.. cmd.Select(e => (JsonNode?)e)]);
        if (user is not null)
            imageConfig["User"] = user;
        if (labels is not null)
            imageConfig["Labels"] = new JsonObject([.. labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))]);
        var config = new JsonObject
        {
            ["architecture"] = arch,
            ["os"] = "linux",
            ["config"] = imageConfig,
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray("sha256:" + Hex(diffId)) },
        };
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = Blob(config.ToJsonString(), "application/vnd.oci.image.config.v1+json"),
            ["layers"] = new JsonArray(Blob(layer, "application/vnd.oci.image.layer.v1.tar+gzip")),
        };
        var descriptor = Blob(manifest.ToJsonString(), "application/vnd.oci.image.manifest.v1+json");
        descriptor["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = arch };
        return descriptor;
    }

    private JsonObject Blob(string text, string mediaType) => Blob(Encoding.UTF8.GetBytes(text), mediaType);

    private JsonObject Blob(byte[] bytes, string mediaType)
    {
        string hex = Hex(bytes);
        File.WriteAllBytes(Path.Combine(_dir, "blobs", "sha256", hex), bytes);
        return new JsonObject { ["mediaType"] = mediaType, ["digest"] = "sha256:" + hex, ["size"] = bytes.Length };
    }

    private static byte[] Layer(string content)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "etc/test-image") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)), ModificationTime = DateTimeOffset.UnixEpoch };
            writer.WriteEntry(entry);
        }
        using var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(tar.ToArray());
        return gz.ToArray();
    }

    private static byte[] Gunzip(byte[] data)
    {
        using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
