// Linux only: namespaces, overlayfs, seccomp and ptrace are what is under test.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
