namespace LogStore;

/// <summary>
/// The type of a key or value that is always a Kafka null (as Confluent.Kafka's <c>Null</c>): use
/// <c>IProducer&lt;Null, TValue&gt;</c> for records without keys. It has no instances; a <see cref="Null"/>-typed
/// key or value is always the null reference.
/// </summary>
public sealed class Null
{
    private Null()
    {
    }
}
