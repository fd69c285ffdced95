// The harness uses namespaces, overlay mounts and /proc: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
