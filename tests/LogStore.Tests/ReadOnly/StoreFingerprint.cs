using System.Security.Cryptography;

namespace LogStore.Tests.ReadOnly;

/// <summary>Every entry of a directory tree — kind, size, content hash, modification time — to show that something
/// changed no file at all.</summary>
internal static class StoreFingerprint
{
    public static SortedDictionary<string, string> Of(string root)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories))
        {
            var info = new FileInfo(path);
            string relative = Path.GetRelativePath(root, path);
            if (info.LinkTarget is { } target)
                entries[relative] = "link -> " + target;
            else if (Directory.Exists(path))
                entries[relative] = "dir " + Directory.GetLastWriteTimeUtc(path).Ticks;
            else
                entries[relative] = $"file {info.Length} {info.LastWriteTimeUtc.Ticks} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)))}";
        }
        return entries;
    }
}
