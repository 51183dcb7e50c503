using System.Buffers;
using System.Collections;
using System.Reflection;

namespace LogStore.Tests.Protocol;

/// <summary>
/// Fills any message class of LogStore.Protocol with random values by reflection: every settable property, lists of
/// 0–3 elements, null where the property is nullable. Values a version cannot carry are simply not written, so the
/// property tests compare encodings, not objects.
/// </summary>
internal static class RandomMessages
{
    private const string Alphabet = "abcXYZ019-_. éñ中🙂";
    // NullabilityInfoContext caches without locks, and CsCheck samples on several threads: one per thread.
    [ThreadStatic]
    private static NullabilityInfoContext? t_nullability;

    public static object Create(Type type, Random random) => CreateObject(type, random, depth: 0);

    private static object CreateObject(Type type, Random random, int depth)
    {
        object instance = Activator.CreateInstance(type, nonPublic: true)!;
        foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is null || !property.SetMethod.IsPublic)
                continue;
            t_nullability ??= new NullabilityInfoContext();
            bool nullable = t_nullability.Create(property).WriteState == NullabilityState.Nullable;
            property.SetValue(instance, Value(property.PropertyType, nullable, random, depth));
        }
        return instance;
    }

    private static object? Value(Type type, bool nullable, Random random, int depth)
    {
        Type? underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            if (underlying == typeof(LogStore.Protocol.FileRegion) || random.Next(5) == 0)
                return null;
            type = underlying;
        }
        else if (nullable && random.Next(5) == 0)
            return null;

        if (type.IsEnum)
            return Enum.ToObject(type, Value(Enum.GetUnderlyingType(type), false, random, depth)!);
        if (type == typeof(bool))
            return random.Next(2) == 1;
        if (type == typeof(sbyte))
            return (sbyte)random.Next(sbyte.MinValue, sbyte.MaxValue + 1);
        if (type == typeof(short))
            return (short)Edge(random, short.MinValue, short.MaxValue);
        if (type == typeof(ushort))
            return (ushort)Edge(random, ushort.MinValue, ushort.MaxValue);
        if (type == typeof(int))
            return (int)Edge(random, int.MinValue, int.MaxValue);
        if (type == typeof(long))
            return Edge(random, long.MinValue, long.MaxValue);
        if (type == typeof(double))
            return random.NextDouble() * 1e6;
        if (type == typeof(Guid))
        {
            byte[] bytes = new byte[16];
            random.NextBytes(bytes);
            return new Guid(bytes);
        }
        if (type == typeof(string))
            return RandomString(random);
        if (type == typeof(byte[]))
            return RandomBytes(random);
        if (type == typeof(ReadOnlySequence<byte>))
            return new ReadOnlySequence<byte>(RandomBytes(random));
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            Type element = type.GetGenericArguments()[0];
            var list = (IList)Activator.CreateInstance(type)!;
            int count = depth > 4 ? 0 : random.Next(4);
            for (int i = 0; i < count; i++)
                list.Add(Value(element, false, random, depth + 1));
            return list;
        }
        if (type.IsClass)
            return CreateObject(type, random, depth + 1);
        throw new NotSupportedException($"No random value for {type}.");
    }

    // Mostly small numbers, sometimes the extremes and -1 (Kafka's "none"), which catch sign and width mistakes.
    private static long Edge(Random random, long min, long max) => random.Next(8) switch
    {
        0 => min,
        1 => max,
        2 => -1,
        3 => 0,
        _ => random.NextInt64(Math.Max(min, -1000), Math.Min(max, 100_000)),
    };

    private static string RandomString(Random random)
    {
        var builder = new System.Text.StringBuilder();
        int length = random.Next(12);
        var elements = System.Globalization.StringInfo.GetTextElementEnumerator(Alphabet);
        var pieces = new List<string>();
        while (elements.MoveNext())
            pieces.Add(elements.GetTextElement());
        for (int i = 0; i < length; i++)
            builder.Append(pieces[random.Next(pieces.Count)]);
        return builder.ToString();
    }

    private static byte[] RandomBytes(Random random)
    {
        byte[] bytes = new byte[random.Next(24)];
        random.NextBytes(bytes);
        return bytes;
    }
}
