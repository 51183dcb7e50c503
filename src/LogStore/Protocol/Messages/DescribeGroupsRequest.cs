namespace LogStore.Protocol;

/// <summary>DescribeGroups request (key 15, v0–v5, flexible from v5): the state and members of groups.</summary>
internal sealed class DescribeGroupsRequest : IKafkaMessage<DescribeGroupsRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.DescribeGroups;

    public List<string> Groups { get; set; } = [];

    /// <summary>v3+.</summary>
    public bool IncludeAuthorizedOperations { get; set; }

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new DescribeGroupsResponse
    {
        Groups = Groups.ConvertAll(g => new DescribeGroupsResponse.DescribedGroup { ErrorCode = errorCode, GroupId = g }),
    };

    public static DescribeGroupsRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 5;
        var request = new DescribeGroupsRequest { Groups = reader.ReadStringArray(flex) };
        if (version >= 3)
            request.IncludeAuthorizedOperations = reader.ReadBool();
        if (flex)
            reader.SkipTaggedFields();
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 5;
        writer.WriteStringArray(Groups, flex);
        if (version >= 3)
            writer.WriteBool(IncludeAuthorizedOperations);
        if (flex)
            writer.WriteEmptyTaggedFields();
    }
}
