// Linux only: the registry and podman tests start Debian's docker-registry and skopeo.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
