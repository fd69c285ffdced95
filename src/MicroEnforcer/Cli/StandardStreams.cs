using System.Text;
using MicroEnforcer.Logging;

namespace MicroEnforcer.Cli;

/// <summary>
/// TextWriters over fd 1 and fd 2 that call write(2) directly. Not Console (see StandardError),
/// and not FileStream: on an inherited fd that is a regular file, FileStream writes with pwrite
/// at its own offset, starting from 0, and overwrites whatever the file already held.
/// </summary>
internal static class StandardStreams
{
    public static TextWriter Out { get; } = new FdWriter(1);

    public static TextWriter Error { get; } = new FdWriter(2);

    private sealed class FdWriter(int fd) : TextWriter
    {
        public override Encoding Encoding { get; } = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

        public override void Write(char value) => Write(value.ToString());

        public override void Write(string? value)
        {
            if (!string.IsNullOrEmpty(value))
                StandardError.WriteAll(fd, Encoding.GetBytes(value));
        }

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void WriteLine(string? value) => Write(value + NewLine);
    }
}
