namespace LogStore.Protocol;

/// <summary>DescribeConfigs response (key 32, v1–v4, flexible from v4).</summary>
internal sealed class DescribeConfigsResponse : IKafkaMessage<DescribeConfigsResponse>, IKafkaResponse
{
    public static ApiKey ApiKey => ApiKey.DescribeConfigs;

    public int ThrottleTimeMs { get; set; }

    public List<Result> Results { get; set; } = [];

    public static DescribeConfigsResponse Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 4;
        var response = new DescribeConfigsResponse { ThrottleTimeMs = reader.ReadInt32() };
        int count = reader.ReadNonNullArrayLength(flex, 7);
        for (int i = 0; i < count; i++)
        {
            var result = new Result
            {
                ErrorCode = (ErrorCode)reader.ReadInt16(),
                ErrorMessage = reader.ReadNullableString(flex),
                ResourceType = reader.ReadInt8(),
                ResourceName = reader.ReadString(flex),
            };
            int configs = reader.ReadNonNullArrayLength(flex, 5);
            for (int c = 0; c < configs; c++)
                result.Configs.Add(Config.Read(ref reader, version));
            if (flex)
                reader.SkipTaggedFields();
            response.Results.Add(result);
        }
        if (flex)
            reader.SkipTaggedFields();
        return response;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 4;
        writer.WriteInt32(ThrottleTimeMs);
        writer.WriteArrayLength(Results.Count, flex);
        foreach (Result result in Results)
        {
            writer.WriteInt16((short)result.ErrorCode);
            writer.WriteNullableString(result.ErrorMessage, flex);
            writer.WriteInt8(result.ResourceType);
            writer.WriteString(result.ResourceName, flex);
            writer.WriteArrayLength(result.Configs.Count, flex);
            foreach (Config config in result.Configs)
                config.Write(ref writer, version);
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class Result
    {
        public ErrorCode ErrorCode { get; set; }

        public string? ErrorMessage { get; set; }

        public sbyte ResourceType { get; set; }

        public string ResourceName { get; set; } = "";

        public List<Config> Configs { get; set; } = [];
    }

    internal sealed class Config
    {
        public string Name { get; set; } = "";

        public string? Value { get; set; }

        public bool ReadOnly { get; set; }

        /// <summary>v0 only.</summary>
        public bool IsDefault { get; set; }

        /// <summary>v1+: Kafka's ConfigSource (1 topic config, 5 default…), -1 unknown.</summary>
        public sbyte ConfigSource { get; set; } = -1;

        public bool IsSensitive { get; set; }

        /// <summary>v1+.</summary>
        public List<Synonym> Synonyms { get; set; } = [];

        /// <summary>v3+: Kafka's ConfigType (1 boolean, 5 long, 7 list…), 0 unknown.</summary>
        public sbyte ConfigType { get; set; }

        /// <summary>v3+.</summary>
        public string? Documentation { get; set; }

        internal static Config Read(ref KafkaReader reader, short version)
        {
            bool flex = version >= 4;
            var config = new Config { Name = reader.ReadString(flex), Value = reader.ReadNullableString(flex), ReadOnly = reader.ReadBool() };
            if (version == 0)
                config.IsDefault = reader.ReadBool();
            if (version >= 1)
                config.ConfigSource = reader.ReadInt8();
            config.IsSensitive = reader.ReadBool();
            if (version >= 1)
            {
                int synonyms = reader.ReadNonNullArrayLength(flex, 3);
                for (int s = 0; s < synonyms; s++)
                {
                    config.Synonyms.Add(new Synonym { Name = reader.ReadString(flex), Value = reader.ReadNullableString(flex), Source = reader.ReadInt8() });
                    if (flex)
                        reader.SkipTaggedFields();
                }
            }
            if (version >= 3)
            {
                config.ConfigType = reader.ReadInt8();
                config.Documentation = reader.ReadNullableString(flex);
            }
            if (flex)
                reader.SkipTaggedFields();
            return config;
        }

        internal void Write(ref KafkaWriter writer, short version)
        {
            bool flex = version >= 4;
            writer.WriteString(Name, flex);
            writer.WriteNullableString(Value, flex);
            writer.WriteBool(ReadOnly);
            if (version == 0)
                writer.WriteBool(IsDefault);
            if (version >= 1)
                writer.WriteInt8(ConfigSource);
            writer.WriteBool(IsSensitive);
            if (version >= 1)
            {
                writer.WriteArrayLength(Synonyms.Count, flex);
                foreach (Synonym synonym in Synonyms)
                {
                    writer.WriteString(synonym.Name, flex);
                    writer.WriteNullableString(synonym.Value, flex);
                    writer.WriteInt8(synonym.Source);
                    if (flex)
                        writer.WriteEmptyTaggedFields();
                }
            }
            if (version >= 3)
            {
                writer.WriteInt8(ConfigType);
                writer.WriteNullableString(Documentation, flex);
            }
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
    }

    internal sealed class Synonym
    {
        public string Name { get; set; } = "";

        public string? Value { get; set; }

        public sbyte Source { get; set; }
    }
}
