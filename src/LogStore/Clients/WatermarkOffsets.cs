namespace LogStore;

/// <summary>A partition's bounds, as Confluent.Kafka's <c>WatermarkOffsets</c>.</summary>
/// <param name="Low">The log start offset: the oldest offset still kept.</param>
/// <param name="High">The high watermark: the offset the next record will get (one past the last readable one).</param>
public sealed record WatermarkOffsets(long Low, long High);
