namespace LogStore.Protocol;

/// <summary>ListGroups request (key 16, v0–v5, flexible from v3): the groups the broker coordinates.</summary>
internal sealed class ListGroupsRequest : IKafkaMessage<ListGroupsRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.ListGroups;

    /// <summary>v4+: only groups in these states; empty for all.</summary>
    public List<string> StatesFilter { get; set; } = [];

    /// <summary>v5+: only groups of these types (classic, consumer); empty for all.</summary>
    public List<string> TypesFilter { get; set; } = [];

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new ListGroupsResponse { ErrorCode = errorCode };

    public static ListGroupsRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 3;
        var request = new ListGroupsRequest();
        if (version >= 4)
            request.StatesFilter = reader.ReadStringArray(flex);
        if (version >= 5)
            request.TypesFilter = reader.ReadStringArray(flex);
        if (flex)
            reader.SkipTaggedFields();
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 3;
        if (version >= 4)
            writer.WriteStringArray(StatesFilter, flex);
        if (version >= 5)
            writer.WriteStringArray(TypesFilter, flex);
        if (flex)
            writer.WriteEmptyTaggedFields();
    }
}
