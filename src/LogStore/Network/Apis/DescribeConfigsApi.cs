using LogStore.Protocol;
using LogStore.Storage;

namespace LogStore.Network.Apis;

/// <summary>DescribeConfigs for topics: each setting by its Kafka name, marked default when it equals the broker's
/// default for new topics. Broker resources are answered with an empty list (nothing of a LogStore broker is a Kafka
/// broker config).</summary>
internal sealed class DescribeConfigsApi(Broker broker)
{
    private const sbyte TopicResource = 2;
    private const sbyte BrokerResource = 4;
    private const sbyte TopicConfigSource = 1;    // DYNAMIC_TOPIC_CONFIG
    private const sbyte DefaultConfigSource = 5;  // DEFAULT_CONFIG

    public DescribeConfigsResponse Handle(DescribeConfigsRequest request)
    {
        var response = new DescribeConfigsResponse();
        Dictionary<string, string> defaults = TopicConfigProperties.ToProperties(broker.Options.DefaultTopicConfig)
            .ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
        foreach (DescribeConfigsRequest.Resource resource in request.Resources)
        {
            var result = new DescribeConfigsResponse.Result { ResourceType = resource.ResourceType, ResourceName = resource.ResourceName };
            response.Results.Add(result);
            if (resource.ResourceType == BrokerResource)
                continue;
            if (resource.ResourceType != TopicResource)
            {
                result.ErrorCode = ErrorCode.InvalidRequest;
                result.ErrorMessage = $"Resource type {resource.ResourceType} is not described.";
                continue;
            }
            if (!broker.TryGetTopic(resource.ResourceName, out Topic? topic))
            {
                result.ErrorCode = ErrorCode.UnknownTopicOrPartition;
                continue;
            }
            foreach ((string name, string value) in TopicConfigProperties.ToProperties(topic.Config))
            {
                if (name is "partitions" or "replication.factor")
                    continue;
                if (resource.ConfigurationKeys is { } keys && !keys.Contains(name))
                    continue;
                bool isDefault = defaults.TryGetValue(name, out string? d) && d == value;
                result.Configs.Add(new DescribeConfigsResponse.Config
                {
                    Name = name,
                    // Kafka writes "no limit" as -1 where LogStore's files leave the value empty.
                    Value = value.Length == 0 && name is "retention.ms" or "retention.bytes" ? "-1" : value,
                    IsDefault = isDefault,
                    ConfigSource = isDefault ? DefaultConfigSource : TopicConfigSource,
                    ReadOnly = false,
                });
            }
        }
        return response;
    }
}
