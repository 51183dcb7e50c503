namespace LogStore.Tool.Dump;

/// <summary>The outcome of dumping one file: null <see cref="Problem"/> when everything in it was valid, else the
/// first damage found (also printed in place in the dump).</summary>
internal readonly record struct DumpReport(string? Problem);
