using System.Text;

namespace MicroEnforcer.Interop;

/// <summary>
/// File names are bytes, not text. Decoding them as UTF-8 with replacement characters would make
/// "/tmp/\xff" and "/tmp/\xfe" the same string, and the file opened for a decision could be
/// another than the one the kernel runs. Paths are decoded losslessly instead: valid UTF-8 as
/// text (so policy globs match it), each invalid byte as a lone surrogate U+DC80+byte (Python's
/// surrogateescape), which no valid text contains, so the mapping is one-to-one both ways.
/// </summary>
internal static class PathText
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return Strict.GetString(bytes);   // the common case: valid UTF-8
        }
        catch (DecoderFallbackException)
        {
            return DecodeSlow(bytes);
        }
    }

    private static string DecodeSlow(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        int i = 0;
        while (i < bytes.Length)
        {
            int length = SequenceLength(bytes[i..]);
            if (length > 0)
            {
                text.Append(Strict.GetString(bytes.Slice(i, length)));
                i += length;
            }
            else
            {
                text.Append((char)(0xDC00 | bytes[i]));
                i++;
            }
        }
        return text.ToString();
    }

    // The length of the valid UTF-8 sequence at the start, or 0 if it is not one.
    private static int SequenceLength(ReadOnlySpan<byte> s)
    {
        byte b = s[0];
        int length = b < 0x80 ? 1 : b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
        if (length == 0 || length > s.Length)
            return 0;
        try
        {
            Strict.GetCharCount(s[..length]);
            return length;
        }
        catch (DecoderFallbackException)
        {
            return 0;
        }
    }

    public static byte[] Encode(string path)
    {
        if (!path.AsSpan().ContainsAnyInRange((char)0xDC80, (char)0xDCFF))
            return Strict.GetBytes(path);   // no escaped bytes: plain UTF-8 (every /proc path)
        var bytes = new List<byte>(path.Length);
        Span<byte> buffer = stackalloc byte[4];
        for (int i = 0; i < path.Length; i++)
        {
            char c = path[i];
            if (c >= 0xDC80 && c <= 0xDCFF)
            {
                bytes.Add((byte)(c & 0xFF));
                continue;
            }
            int count = char.IsHighSurrogate(c) && i + 1 < path.Length
                ? Strict.GetBytes(path.AsSpan(i++, 2), buffer)
                : Strict.GetBytes(path.AsSpan(i, 1), buffer);
            bytes.AddRange(buffer[..count]);
        }
        return [.. bytes];
    }

    /// <summary>For people and JSON: escaped bytes shown as \xNN.</summary>
    public static string Display(string path)
    {
        if (!path.Any(c => c >= 0xDC80 && c <= 0xDCFF))
            return path;
        var text = new StringBuilder(path.Length + 8);
        foreach (char c in path)
        {
            if (c >= 0xDC80 && c <= 0xDCFF)
                text.Append($"\\x{c & 0xFF:x2}");
            else
                text.Append(c);
        }
        return text.ToString();
    }
}
