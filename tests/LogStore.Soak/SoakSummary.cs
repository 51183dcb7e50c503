using System.Globalization;
using System.Text;
using LogStore.Tests.Protocol;
using LogStore.Tests.Reliability;
using LogStore.Tests.Reliability.Fuzzing;

namespace LogStore.Soak;

/// <summary>What the soak did, for its last lines and tests/RELIABILITY.md. Written by one step at a time.</summary>
internal sealed class SoakSummary
{
    private readonly List<CrashLoopFigures> _crashLoops = [];
    private readonly List<PowerLossFigures> _powerLosses = [];
    private readonly List<LinearizabilityFigures> _rounds = [];

    public List<string> Failures { get; } = [];

    public FuzzFigures? Fuzz { get; set; }

    public RequestFuzzFigures? RequestFuzz { get; set; }

    public void Add(CrashLoopFigures figures) => _crashLoops.Add(figures);

    public void Add(PowerLossFigures figures) => _powerLosses.Add(figures);

    public void Add(LinearizabilityFigures figures) => _rounds.Add(figures);

    public override string ToString()
    {
        var text = new StringBuilder();
        CultureInfo c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"  kills survived:      {_crashLoops.Sum(f => f.Kills):N0} " +
            $"({string.Join(", ", _crashLoops.Select(f => $"{f.Mode} {f.Kills}"))})");
        text.AppendLine(c, $"  records verified:    {_crashLoops.Sum(f => f.RecordsVerified):N0} record reads after kills, " +
            $"{_crashLoops.Sum(f => f.AcknowledgedRecords):N0} acknowledged records, " +
            $"{_crashLoops.Sum(f => f.Commits):N0} acknowledged commits");
        text.AppendLine(c, $"  power losses:        {_powerLosses.Sum(f => f.Images + f.ImagesInsideCalls):N0} images checked " +
            $"({string.Join(", ", _powerLosses.Select(f => $"{f.Case} {f.Images + f.ImagesInsideCalls}"))}; " +
            $"{_powerLosses.Sum(f => f.ImagesInsideCalls):N0} inside calls, {_powerLosses.Sum(f => f.Recoveries):N0} recovered and used), " +
            $"{_powerLosses.Sum(f => f.AcknowledgedRecords):N0} acknowledged records");
        text.AppendLine(c, $"  damages tried:       {Fuzz?.Damaged ?? 0:N0} damaged or hostile batches decoded");
        text.AppendLine(c, $"  fuzz cases:          {Fuzz?.Cases ?? 0:N0} in {Fuzz?.Elapsed.TotalSeconds ?? 0:F0} s");
        text.AppendLine(c, $"  request frames:      {RequestFuzz?.Frames ?? 0:N0} fuzzed Kafka requests decoded or refused");
        text.AppendLine(c, $"  histories checked:   {_rounds.Sum(r => r.Partitions):N0} partition histories in {_rounds.Count} rounds, " +
            $"{_rounds.Sum(r => r.Acknowledged):N0} acknowledged records, {_rounds.Sum(r => r.Observations):N0} observations");
        text.Append(Failures.Count == 0 ? "  result:              PASS" : $"  result:              FAIL ({Failures.Count})");
        foreach (string failure in Failures)
            text.AppendLine().Append("    ").Append(failure);
        return text.ToString();
    }
}
