using System.Collections;
using System.Reflection;
using LogStore.Protocol;

namespace LogStore.Tests.Protocol;

/// <summary>Each request's error response: every error field carries the error, and it encodes in every version.</summary>
[TestFixture]
public sealed class ErrorResponseTests
{
    private static IEnumerable<TestCaseData> Apis() =>
        MessageCodecs.ByApi.Keys.Select(api => new TestCaseData((short)api).SetArgDisplayNames(api.ToString()));

    [TestCaseSource(nameof(Apis))]
    public void ErrorResponse_RandomRequest_CarriesTheErrorEverywhereAndEncodesInEveryVersion(short apiKey)
    {
        var api = (ApiKey)apiKey;
        var (requestCodec, responseCodec) = MessageCodecs.ByApi[api];
        ApiVersionsTable.TryGet(api, out ApiVersionRange range);
        int errorsSeen = 0;
        for (int seed = 0; seed < 20; seed++)
        {
            var request = (IKafkaRequest)RandomMessages.Create(requestCodec.Type, new Random(seed));
            Assert.That(request.RequestApiKey, Is.EqualTo(api));
            IKafkaResponse response = request.ErrorResponse(ErrorCode.NotCoordinator);
            Assert.That(response.GetType(), Is.EqualTo(responseCodec.Type));
            List<ErrorCode> codes = ErrorCodes(response).ToList();
            Assert.That(codes, Is.All.EqualTo(ErrorCode.NotCoordinator), $"{api}, seed {seed}");
            errorsSeen += codes.Count;
            for (short version = range.MinVersion; version <= range.MaxVersion; version++)
            {
                byte[] bytes = responseCodec.Write(response, version);
                responseCodec.Read(new System.Buffers.ReadOnlySequence<byte>(bytes), version, out long consumed);
                Assert.That(consumed, Is.EqualTo(bytes.Length), $"{api} v{version}, seed {seed}");
            }
        }
        Assert.That(errorsSeen, Is.Positive, "some requests had something to answer");
    }

    [Test]
    public void ErrorResponse_ApiVersionsUnsupported_ListsApiVersionsOnly()
    {
        var response = (ApiVersionsResponse)new ApiVersionsRequest().ErrorResponse(ErrorCode.UnsupportedVersion);
        Assert.That(response.ApiKeys.Single().ApiKey, Is.EqualTo(ApiKey.ApiVersions));
    }

    // Every ErrorCode-typed property in the object graph but CreateTopics' config error and Metadata v13's top-level
    // error, which Kafka keeps for other failures (describing configs, REBOOTSTRAP_REQUIRED).
    private static IEnumerable<ErrorCode> ErrorCodes(object message)
    {
        foreach (PropertyInfo property in message.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            object? value = property.GetValue(message);
            if (value is ErrorCode code && property.Name != "TopicConfigErrorCode" && message is not MetadataResponse)
                yield return code;
            else if (value is IList list && value is not byte[])
            {
                foreach (object? item in list)
                {
                    if (item is not null && item.GetType().IsClass && item is not string)
                        foreach (ErrorCode inner in ErrorCodes(item))
                            yield return inner;
                }
            }
        }
    }
}
