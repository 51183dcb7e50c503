using System.Buffers;
using System.Text.Json;
using CsCheck;

namespace LogStore.Tests.Clients.Serialization;

[TestFixture]
public sealed class SerializersTests
{
    private static byte[] Write<T>(ISerializer<T> serializer, T value)
    {
        var output = new ArrayBufferWriter<byte>();
        serializer.Serialize(value, output);
        return output.WrittenSpan.ToArray();
    }

    private static T RoundTrip<T>(ISerializer<T> serializer, IDeserializer<T> deserializer, T value) =>
        deserializer.Deserialize(Write(serializer, value), isNull: false);

    [Test]
    public void Utf8_RoundTripsAnyString() =>
        Gen.String.Sample(s => Assert.That(RoundTrip(Serializers.Utf8, Deserializers.Utf8, s), Is.EqualTo(s)));

    [Test]
    public void Utf8_WritesUtf8Bytes()
    {
        Assert.That(Write(Serializers.Utf8, "héllo"), Is.EqualTo("héllo"u8.ToArray()));
        Assert.That(Write(Serializers.Utf8, ""), Is.Empty);
    }

    [Test]
    public void ByteArray_RoundTripsAnyBytes() =>
        Gen.Byte.Array.Sample(b => Assert.That(RoundTrip(Serializers.ByteArray, Deserializers.ByteArray, b), Is.EqualTo(b)));

    [Test]
    public void ReadOnlyMemory_RoundTripsAnyBytes() =>
        Gen.Byte.Array.Sample(b => Assert.That(RoundTrip(Serializers.ReadOnlyMemory, Deserializers.ReadOnlyMemory, b).ToArray(), Is.EqualTo(b)));

    [Test]
    public void Int32_WritesBigEndianAsKafka()
    {
        Assert.That(Write(Serializers.Int32, 1), Is.EqualTo(new byte[] { 0, 0, 0, 1 }));
        Assert.That(Write(Serializers.Int32, -2), Is.EqualTo(new byte[] { 0xff, 0xff, 0xff, 0xfe }));
        Assert.That(Write(Serializers.Int32, 0x01020304), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
        Gen.Int.Sample(i => Assert.That(RoundTrip(Serializers.Int32, Deserializers.Int32, i), Is.EqualTo(i)));
    }

    [Test]
    public void Int64_WritesBigEndianAsKafka()
    {
        Assert.That(Write(Serializers.Int64, 0x0102030405060708), Is.EqualTo(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }));
        Assert.That(Write(Serializers.Int64, -1L), Is.EqualTo(Enumerable.Repeat((byte)0xff, 8)));
        Gen.Long.Sample(l => Assert.That(RoundTrip(Serializers.Int64, Deserializers.Int64, l), Is.EqualTo(l)));
    }

    [Test]
    public void Int32_And_Int64_WrongLengthOrNull_ThrowCorruptRecord()
    {
        Assert.Throws<CorruptRecordException>(() => Deserializers.Int32.Deserialize([1, 2, 3], isNull: false));
        Assert.Throws<CorruptRecordException>(() => Deserializers.Int32.Deserialize([], isNull: true));
        Assert.Throws<CorruptRecordException>(() => Deserializers.Int64.Deserialize([1, 2, 3, 4], isNull: false));
        Assert.Throws<CorruptRecordException>(() => Deserializers.Int64.Deserialize([], isNull: true));
    }

    [Test]
    public void Null_WritesNothing_ReadsNull()
    {
        Assert.That(Write(Serializers.Null, null!), Is.Empty);
        Assert.That(Deserializers.Null.Deserialize([1, 2], isNull: false), Is.Null);
    }

    [Test]
    public void Deserializers_KafkaNull_IsNullOrDefault()
    {
        Assert.That(Deserializers.Utf8.Deserialize([], isNull: true), Is.Null);
        Assert.That(Deserializers.ByteArray.Deserialize([], isNull: true), Is.Null);
        Assert.That(Deserializers.ReadOnlyMemory.Deserialize([], isNull: true).IsEmpty, Is.True);
        Assert.That(Deserializers.Json<Order>().Deserialize([], isNull: true), Is.Null);
        Assert.That(Deserializers.Utf8.Deserialize([], isNull: false), Is.EqualTo(""), "empty is not null");
    }

    [Test]
    public void Json_RoundTripsWithOptions()
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
        var order = new Order(42, "widget", [1.5m, 2.25m], new Dictionary<string, string> { ["é"] = "ü" });
        byte[] bytes = Write(Serializers.Json<Order>(options), order);

        Assert.That(System.Text.Encoding.UTF8.GetString(bytes), Does.StartWith("{\"id\":42,\"name\":\"widget\""));
        Order back = Deserializers.Json<Order>(options).Deserialize(bytes, isNull: false);
        Assert.That(back.Id, Is.EqualTo(42));
        Assert.That(back.Name, Is.EqualTo("widget"));
        Assert.That(back.Prices, Is.EqualTo(order.Prices));
        Assert.That(back.Tags, Is.EqualTo(order.Tags));
    }

    [Test]
    public void Json_DifferentOptionsOnOneThread_EachApply()
    {
        var indented = Serializers.Json<int[]>(new JsonSerializerOptions { WriteIndented = true });
        var compact = Serializers.Json<int[]>();
        for (int i = 0; i < 3; i++)
        {
            Assert.That(System.Text.Encoding.UTF8.GetString(Write(compact, [1, 2])), Is.EqualTo("[1,2]"));
            Assert.That(System.Text.Encoding.UTF8.GetString(Write(indented, [1, 2])), Does.Contain("\n"));
        }
    }

    [Test]
    public void Json_RoundTripsAnyValues() =>
        Gen.Select(Gen.Int, Gen.String, Gen.Decimal.Array[0, 5])
            .Sample((id, name, prices) =>
            {
                var order = new Order(id, name, prices, []);
                Order back = RoundTrip(Serializers.Json<Order>(), Deserializers.Json<Order>(), order);
                Assert.That((back.Id, back.Name, back.Prices), Is.EqualTo((order.Id, order.Name, order.Prices)));
            });

    public sealed record Order(int Id, string Name, decimal[] Prices, Dictionary<string, string> Tags);
}
