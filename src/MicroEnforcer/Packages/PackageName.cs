namespace MicroEnforcer.Packages;

/// <summary>
/// The syntax of a package name as dpkg and apk accept it. Debian Policy 5.6.1: lowercase
/// letters, digits, '+', '-' and '.', at least two characters, starting with a letter or digit.
/// apk's names (Alpine's aports) follow the same rule and also use '_' (e.g. py3-foo_bar).
/// No architecture qualifier (<c>libc6:i386</c>): a name stands for every architecture installed.
/// </summary>
internal static class PackageName
{
    /// <summary>Null when <paramref name="text"/> is a well-formed package name, else why not.</summary>
    public static string? Check(string text)
    {
        if (text.Length < 2)
            return $"invalid package name '{text}': a package name has at least two characters";
        if (!IsLowerAlphanumeric(text[0]))
            return $"invalid package name '{text}': a package name starts with a lowercase letter or a digit";
        foreach (char c in text)
        {
            if (c == ':')
                return $"invalid package name '{text}': no architecture qualifier; the name alone stands for every installed architecture";
            if (!IsLowerAlphanumeric(c) && c is not ('+' or '-' or '.' or '_'))
                return $"invalid package name '{text}': '{c}' is not allowed (lowercase letters, digits, '+', '-', '.', '_')";
        }
        return null;
    }

    private static bool IsLowerAlphanumeric(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9');
}
