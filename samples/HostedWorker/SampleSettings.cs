namespace HostedWorker;

/// <summary>The sample's command line: how many orders to produce, whether to keep going, where the data lives.</summary>
internal sealed record SampleSettings(int Records, bool Forever, string? DataDirectory)
{
    public static SampleSettings Parse(string[] args)
    {
        int records = 20;
        bool forever = false;
        string? data = null;
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
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: HostedWorker [--records N] [--forever] [--data DIR]");
            }
        }
        return new SampleSettings(records, forever, data);
    }
}
