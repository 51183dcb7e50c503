using System.Buffers;
using System.Diagnostics;
using LogStore.Protocol;

namespace LogStore.Tests.Protocol;

/// <summary>What a run of <see cref="RequestFuzzer"/> did.</summary>
internal sealed class RequestFuzzFigures
{
    private long _frames;
    private long _decoded;
    private long _unsupported;
    private long _bytes;

    public long Frames => Interlocked.Read(ref _frames);

    public long Decoded => Interlocked.Read(ref _decoded);

    public long Unsupported => Interlocked.Read(ref _unsupported);

    public long Bytes => Interlocked.Read(ref _bytes);

    public TimeSpan Elapsed { get; set; }

    public void Add(int length, DecodedRequest decoded)
    {
        Interlocked.Increment(ref _frames);
        Interlocked.Add(ref _bytes, length);
        if (decoded.Succeeded)
            Interlocked.Increment(ref _decoded);
        else if (decoded.IsUnsupportedVersion)
            Interlocked.Increment(ref _unsupported);
    }

    public override string ToString() =>
        $"{Frames:N0} request frames ({Bytes / 1024.0 / 1024.0:F1} MiB) in {Elapsed.TotalSeconds:F1} s: " +
        $"{Decoded:N0} decoded, {Unsupported:N0} unsupported, {Frames - Decoded - Unsupported:N0} refused";
}

/// <summary>
/// Issue 14's fuzzer for <see cref="RequestDecoder.TryDecode"/>: captured client frames and generated requests of
/// every API and version, mutated, truncated or left valid, random bodies behind valid headers, and headers of the
/// APIs LogStore does not serve (whose UNSUPPORTED_VERSION answer must walk as that API's response). The properties:
/// TryDecode never throws; it allocates at most a constant factor of the frame (every length is checked before it
/// is trusted); and what it decodes re-encodes stably. Used for a few thousand frames by
/// <see cref="RequestDecoderTests"/> and for millions by the soak tool. A failure names the seed, thread and frame
/// number that reproduce it.
/// </summary>
internal static class RequestFuzzer
{
    /// <summary>The allocation a frame of n bytes may cost: objects for what it holds, never for what it claims.</summary>
    public static long AllocationBound(int length) => (64 << 10) + 64L * length;

    public static RequestFuzzFigures Run(long frames, int seed, int threads = 1, CancellationToken cancellationToken = default)
    {
        var figures = new RequestFuzzFigures();
        var clock = Stopwatch.StartNew();
        byte[][] captured = WireFrames.Requests.Select(f => f.Body).ToArray();
        var workers = new Task[Math.Max(1, threads)];
        for (int t = 0; t < workers.Length; t++)
        {
            int thread = t;
            long share = frames / workers.Length + (t < frames % workers.Length ? 1 : 0);
            workers[t] = Task.Factory.StartNew(() =>
            {
                var random = new Random(HashCode.Combine(seed, thread));
                for (long i = 0; i < share; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    byte[] frame = NextFrame(random, captured);
                    try
                    {
                        figures.Add(frame.Length, Check(frame, MessageCodecs.Segmented(frame, 1 + random.Next(64))));
                    }
                    catch (Exception e)
                    {
                        throw new InvalidOperationException(
                            $"Request fuzz frame {i} of thread {thread}, seed {seed}: {e.Message}\nframe: {Convert.ToHexString(frame)}", e);
                    }
                }
            }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        try
        {
            Task.WaitAll(workers, cancellationToken);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            throw e.InnerExceptions[0];
        }
        figures.Elapsed = clock.Elapsed;
        return figures;
    }

    /// <summary>Decodes one frame and checks the properties; throws on a broken one.</summary>
    public static DecodedRequest Check(byte[] frame, ReadOnlySequence<byte> input)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        DecodedRequest decoded = RequestDecoder.TryDecode(input);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > AllocationBound(frame.Length))
            throw new InvalidOperationException($"Decoding {frame.Length} bytes allocated {allocated:N0} bytes.");
        if (decoded.Succeeded == (decoded.Error is not null))
            throw new InvalidOperationException("A result must be a body or an error.");
        if (decoded is { IsUnsupportedVersion: true, Header: { } header }
            && UnsupportedApis.TryGet(header.ApiKey, header.ApiVersion, out UnsupportedApiLayout? layout))
        {
            // What the broker answers such a request must be a whole response of that API's layout.
            using ResponseFrame response = UnsupportedApiResponse.Encode(header.CorrelationId, layout, header.ApiVersion);
            byte[] bytes = [.. response.Parts.SelectMany(p => p.Bytes)];
            if (UnsupportedApiWalker.Walk(new ReadOnlySequence<byte>(bytes), layout, header.ApiVersion) != header.CorrelationId)
                throw new InvalidOperationException("The UNSUPPORTED_VERSION answer lost the correlation id.");
        }
        if (decoded.Succeeded)
        {
            byte[] once = Encode(decoded);
            DecodedRequest again = RequestDecoder.TryDecode(new ReadOnlySequence<byte>(once));
            if (!again.Succeeded || !Encode(again).AsSpan().SequenceEqual(once))
                throw new InvalidOperationException($"A decoded request does not re-encode stably: {again.Error}");
        }
        return decoded;
    }

    private static byte[] Encode(DecodedRequest decoded)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        decoded.Header!.Write(ref writer);
        output.Write(MessageCodecs.ByApi[decoded.Header.ApiKey].Request.Write(decoded.Body!, decoded.Header.ApiVersion));
        return output.WrittenSpan.ToArray();
    }

    private static byte[] NextFrame(Random random, byte[][] captured)
    {
        byte[] frame = random.Next(4) switch
        {
            0 => (byte[])captured[random.Next(captured.Length)].Clone(),
            1 => Generated(random),
            2 => RandomBody(random),
            _ => UnsupportedApi(random),
        };
        return random.Next(4) == 0 ? frame : Mutate(frame, random);
    }

    private static byte[] Generated(Random random)
    {
        ApiVersionRange range = ApiVersionsTable.All[random.Next(ApiVersionsTable.All.Count)];
        short version = (short)random.Next(range.MinVersion, range.MaxVersion + 1);
        IMessageCodec codec = MessageCodecs.ByApi[range.ApiKey].Request;
        return [.. Header(range.ApiKey, version, random), .. codec.Write(RandomMessages.Create(codec.Type, random), version)];
    }

    private static byte[] RandomBody(Random random)
    {
        ApiVersionRange range = ApiVersionsTable.All[random.Next(ApiVersionsTable.All.Count)];
        byte[] body = new byte[random.Next(random.Next(8) == 0 ? 4096 : 64)];
        random.NextBytes(body);
        return [.. Header(range.ApiKey, (short)random.Next(range.MinVersion, range.MaxVersion + 1), random), .. body];
    }

    // An API Kafka defines and LogStore does not serve, at any version Kafka defines, with a random body.
    private static byte[] UnsupportedApi(Random random)
    {
        UnsupportedApiLayout layout = UnsupportedApis.All[random.Next(UnsupportedApis.All.Count)];
        byte[] body = new byte[random.Next(64)];
        random.NextBytes(body);
        return [.. Header(layout.ApiKey, (short)random.Next(layout.MinVersion, layout.MaxVersion + 1), random), .. body];
    }

    private static byte[] Header(ApiKey api, short version, Random random)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        new RequestHeader { ApiKey = api, ApiVersion = version, CorrelationId = random.Next(), ClientId = random.Next(4) == 0 ? null : "fuzz" }
            .Write(ref writer);
        return output.WrittenSpan.ToArray();
    }

    // Byte sets (lengths become huge or negative), truncation, inserted and deleted runs: what a broken or hostile
    // peer sends.
    private static byte[] Mutate(byte[] frame, Random random)
    {
        var bytes = new List<byte>(frame);
        int steps = 1 + random.Next(4);
        for (int s = 0; s < steps; s++)
        {
            int at = random.Next(bytes.Count + 1);
            switch (random.Next(5))
            {
                case 0 when bytes.Count > 0:
                    bytes[Math.Min(at, bytes.Count - 1)] = (byte)random.Next(256);
                    break;
                case 1 when bytes.Count > 0:
                    bytes[Math.Min(at, bytes.Count - 1)] = random.Next(2) == 0 ? (byte)0xFF : (byte)0x7F;
                    break;
                case 2:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 3:
                    bytes.InsertRange(at, Enumerable.Range(0, random.Next(1, 9)).Select(_ => (byte)random.Next(256)));
                    break;
                default:
                    bytes.RemoveRange(at, Math.Min(random.Next(1, 9), bytes.Count - at));
                    break;
            }
        }
        return [.. bytes];
    }
}
