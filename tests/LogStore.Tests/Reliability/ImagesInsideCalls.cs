using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Reliability;

/// <summary>
/// Power losses inside a call (<see cref="PowerLossRun"/>): at one in <c>oneIn</c> renames and directory fsyncs, at most
/// one each time it is armed, the store is imaged just before the operation takes effect — mid roll, mid checkpoint replace, mid
/// compaction swap, mid topic creation — and the image is kept until the call returns, to be checked against what was
/// acknowledged before it. ALICE's crash points, sampled.
/// </summary>
/// <remarks>Thread-safety: <see cref="OnEntryOperation"/> runs on whichever thread renames or fsyncs (the loop's, or a
/// background flush's); everything is under one lock.</remarks>
internal sealed class ImagesInsideCalls(int seed, int oneIn = 4) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Random _random = new(unchecked(seed * 31 + 7));
    private readonly List<(TempDirectory Image, string Where)> _images = [];

    private bool _armed;

    /// <summary>Allows one more image (the next power loss's inside a call).</summary>
    public void Arm()
    {
        lock (_gate)
            _armed = true;
    }

    /// <summary>No more images.</summary>
    public void Disarm()
    {
        lock (_gate)
            _armed = false;
    }

    /// <summary>Images made so far.</summary>
    public int Images { get; private set; }

    /// <summary>For <see cref="PowerLossFileSystem.BeforeEntryOperation"/> of <paramref name="files"/>.</summary>
    public void OnEntryOperation(PowerLossFileSystem files, string operation)
    {
        lock (_gate)
        {
            if (!_armed || _random.Next(oneIn) != 0)
                return;
            _armed = false;
            bool torn = _random.Next(2) == 0;
            var entries = (PowerLossFileSystem.Entries)_random.Next(2);   // durable entries only, or a random prefix
            var image = new TempDirectory();
            files.WriteImage(image.Path, _random, torn, entries);
            _images.Add((image, $"inside a call, before {operation}, {(torn ? "torn tails" : "durable bytes")}, entries {entries}"));
            Images++;
        }
    }

    /// <summary>The images made since the last call; the caller disposes them.</summary>
    public List<(TempDirectory Image, string Where)> TakeAll()
    {
        lock (_gate)
        {
            List<(TempDirectory, string)> taken = [.. _images];
            _images.Clear();
            return taken;
        }
    }

    public void Dispose()
    {
        foreach ((TempDirectory image, _) in TakeAll())
            image.Dispose();
    }
}
