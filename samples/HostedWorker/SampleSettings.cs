namespace HostedWorker;

/// <summary>The sample's command line: how many orders to produce, whether to keep going, where the data lives (a
/// local directory, or a Kafka cluster with <c>--kafka HOST:PORT</c>).</summary>
internal sealed record SampleSettings(int Records, bool Forever, string? DataDirectory, string? Kafka)
{
    public static SampleSettings Parse(string[] args)
    {
        int records = 20;
        bool forever = false;
        string? data = null;
        string? kafka = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--records" when i + 1 < args.Length:
                    records = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "--forever":
                    forever = true;
                    break;
                case "--data" when i + 1 < args.Length:
                    data = args[++i];
                    break;
                case "--kafka" when i + 1 < args.Length:
                    kafka = args[++i];
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: HostedWorker [--records N] [--forever] [--data DIR | --kafka HOST:PORT]");
            }
        }
        if (data is not null && kafka is not null)
            throw new ArgumentException("--data and --kafka are alternatives: a local store or a Kafka cluster.");
        return new SampleSettings(records, forever, data, kafka);
    }
}
