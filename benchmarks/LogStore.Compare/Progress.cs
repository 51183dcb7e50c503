using Spectre.Console;

namespace LogStore.Compare;

/// <summary>Where a workload reports its steps: a Spectre.Console progress bar, and a log line per measurement.</summary>
internal sealed class ProgressSink(ProgressTask task)
{
    public void Begin(int steps)
    {
        task.MaxValue = Math.Max(1, steps);
        task.Value = 0;
        task.StartTask();
    }

    public void Status(string what) => task.Description = Markup.Escape(what);

    public void Step() => task.Increment(1);

    public void Log(string line) => AnsiConsole.MarkupLine(Markup.Escape(line));

    public void End()
    {
        task.Value = task.MaxValue;
        task.StopTask();
    }
}
