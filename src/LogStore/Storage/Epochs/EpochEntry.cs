namespace LogStore.Storage.Epochs;

/// <summary>A leader epoch and the first offset written in it (Kafka's <c>EpochEntry</c>).</summary>
internal readonly record struct EpochEntry(int Epoch, long StartOffset);
