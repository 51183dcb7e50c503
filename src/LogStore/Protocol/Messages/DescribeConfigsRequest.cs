namespace LogStore.Protocol;

/// <summary>DescribeConfigs request (key 32, v1–v4, flexible from v4): the configs of topics (or brokers).</summary>
internal sealed class DescribeConfigsRequest : IKafkaMessage<DescribeConfigsRequest>, IKafkaRequest
{
    /// <summary>Kafka's ConfigResource.Type of a topic.</summary>
    public const sbyte TopicResourceType = 2;

    /// <summary>Kafka's ConfigResource.Type of a broker.</summary>
    public const sbyte BrokerResourceType = 4;

    public static ApiKey ApiKey => ApiKey.DescribeConfigs;

    public List<Resource> Resources { get; set; } = [];

    /// <summary>v1+.</summary>
    public bool IncludeSynonyms { get; set; }

    /// <summary>v3+.</summary>
    public bool IncludeDocumentation { get; set; }

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new DescribeConfigsResponse
    {
        Results = Resources.ConvertAll(r => new DescribeConfigsResponse.Result { ErrorCode = errorCode, ResourceType = r.ResourceType, ResourceName = r.ResourceName }),
    };

    public static DescribeConfigsRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 4;
        var request = new DescribeConfigsRequest();
        int count = reader.ReadNonNullArrayLength(flex, 4);
        for (int i = 0; i < count; i++)
        {
            request.Resources.Add(new Resource
            {
                ResourceType = reader.ReadInt8(),
                ResourceName = reader.ReadString(flex),
                ConfigurationKeys = reader.ReadNullableStringArray(flex),
            });
            if (flex)
                reader.SkipTaggedFields();
        }
        if (version >= 1)
            request.IncludeSynonyms = reader.ReadBool();
        if (version >= 3)
            request.IncludeDocumentation = reader.ReadBool();
        if (flex)
            reader.SkipTaggedFields();
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 4;
        writer.WriteArrayLength(Resources.Count, flex);
        foreach (Resource resource in Resources)
        {
            writer.WriteInt8(resource.ResourceType);
            writer.WriteString(resource.ResourceName, flex);
            writer.WriteStringArray(resource.ConfigurationKeys, flex);
            if (flex)
                writer.WriteEmptyTaggedFields();
        }
        if (version >= 1)
            writer.WriteBool(IncludeSynonyms);
        if (version >= 3)
            writer.WriteBool(IncludeDocumentation);
        if (flex)
            writer.WriteEmptyTaggedFields();
    }

    internal sealed class Resource
    {
        public sbyte ResourceType { get; set; }

        public string ResourceName { get; set; } = "";

        /// <summary>Null for every config.</summary>
        public List<string>? ConfigurationKeys { get; set; }
    }
}
