using Confluent.Kafka;
using LogStore.Kafka.Clients;

namespace LogStore.Kafka.Tests;

/// <summary>Confluent's error codes as LogStore's exceptions: the inverse of the listener's mapping.</summary>
[TestFixture]
public sealed class KafkaErrorsTests
{
    private static readonly LogStore.TopicPartition Orders = new("orders", 2);

    [TestCase(ErrorCode.UnknownTopicOrPart, typeof(UnknownTopicException))]
    [TestCase(ErrorCode.Local_UnknownTopic, typeof(UnknownTopicException))]
    [TestCase(ErrorCode.Local_UnknownPartition, typeof(UnknownTopicException))]
    [TestCase(ErrorCode.MsgSizeTooLarge, typeof(RecordTooLargeException))]
    [TestCase(ErrorCode.TopicException, typeof(InvalidTopicException))]
    [TestCase(ErrorCode.TopicAlreadyExists, typeof(TopicExistsException))]
    [TestCase(ErrorCode.OffsetOutOfRange, typeof(OffsetOutOfRangeException))]
    [TestCase(ErrorCode.InvalidMsg, typeof(CorruptRecordException))]
    [TestCase(ErrorCode.NotLeaderForPartition, typeof(NotLeaderException))]
    [TestCase(ErrorCode.KafkaStorageError, typeof(StorageException))]
    [TestCase(ErrorCode.InvalidTimestamp, typeof(InvalidTimestampException))]
    [TestCase(ErrorCode.InvalidConfig, typeof(InvalidConfigurationException))]
    public void ToException_KnownCode_IsLogStoresType(ErrorCode code, Type expected)
    {
        LogStoreException e = KafkaErrors.ToException(new Error(code), Orders, producing: true);
        Assert.That(e, Is.TypeOf(expected));
        Assert.That(e.Message, Is.Not.Empty);
    }

    [Test]
    public void ToException_OtherCode_ProducingIsProduceExceptionWithTheKafkaError()
    {
        LogStoreException e = KafkaErrors.ToException(new Error(ErrorCode.BrokerNotAvailable), Orders, producing: true);
        Assert.That(e, Is.TypeOf<ProduceException>());
        Assert.That(((ProduceException)e).TopicPartition, Is.EqualTo(Orders));
        Assert.That(((KafkaException)e.InnerException!).Error.Code, Is.EqualTo(ErrorCode.BrokerNotAvailable));
    }

    [Test]
    public void ToException_OtherCode_ConsumingIsLogStoreExceptionNamingTheCode()
    {
        LogStoreException e = KafkaErrors.ToException(new Error(ErrorCode.GroupAuthorizationFailed), Orders, producing: false);
        Assert.That(e.GetType(), Is.EqualTo(typeof(LogStoreException)));
        Assert.That(e.Message, Does.Contain("GroupAuthorizationFailed").And.Contain("orders"));
    }

    [Test]
    public void ToException_MessageTooLarge_KeepsThePartitionAndSaysWhatToDo()
    {
        var e = (RecordTooLargeException)KafkaErrors.ToException(new Error(ErrorCode.MsgSizeTooLarge), Orders, producing: true);
        Assert.That((e.TopicPartition, e.SizeInBytes, e.MaxMessageBytes), Is.EqualTo((Orders, -1, -1)));
        Assert.That(e.Message, Does.Contain("max.message.bytes"));
    }
}
