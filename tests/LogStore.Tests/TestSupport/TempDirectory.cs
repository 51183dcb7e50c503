namespace LogStore.Tests.TestSupport;

/// <summary>A directory under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "logstore-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>
    /// The same store built twice by <paramref name="fill"/>: once closed cleanly, once as a SIGKILL leaves it (a
    /// <see cref="CrashImage"/> of the broker while it is open). The caller disposes both.
    /// </summary>
    public static async Task<(TempDirectory Clean, TempDirectory Crashed)> CleanAndCrashed(
        Func<string, ValueTask<Broker>> open, Func<Broker, Task> fill)
    {
        var clean = new TempDirectory();
        await using (Broker broker = await open(clean.Path))
            await fill(broker);
        using var source = new TempDirectory();
        Broker running = await open(source.Path);
        await fill(running);
        TempDirectory crashed = source.CrashImage();
        await running.DisposeAsync();
        return (clean, crashed);
    }

    /// <summary>
    /// Copies every file as it is now — what a crash at this instant would leave on disk for a process crash
    /// (the page cache, and shared mappings of the indexes, are what a reader sees) — into a new directory.
    /// No clean-shutdown marker can be in the copy: an open Broker has deleted it.
    /// </summary>
    public TempDirectory CrashImage()
    {
        var copy = new TempDirectory();
        foreach (string dir in Directory.EnumerateDirectories(Path, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(Path, copy.Path, StringComparison.Ordinal));
        foreach (string file in Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories))
        {
            // Temporary files come and go with background checkpoints; a crash may or may not leave one.
            if (System.IO.Path.GetFileName(file) == ".lock" || file.EndsWith(".tmp", StringComparison.Ordinal))
                continue;
            using var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var target = File.Create(file.Replace(Path, copy.Path, StringComparison.Ordinal));
            source.CopyTo(target);
        }
        return copy;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
