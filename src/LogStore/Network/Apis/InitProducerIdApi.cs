using LogStore.Protocol;

namespace LogStore.Network.Apis;

/// <summary>
/// InitProducerId: a producer id for an idempotent producer (epoch 0). Ids start from the clock (4,096 per millisecond)
/// so that a restarted broker never hands out an id whose batches are still in the log. Transactions are not supported:
/// a transactional id is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which clients report as fatal rather than
/// retry.
/// </summary>
internal sealed class InitProducerIdApi(TimeProvider time)
{
    private long _next = time.GetUtcNow().ToUnixTimeMilliseconds() << 12;

    public InitProducerIdResponse Handle(InitProducerIdRequest request)
    {
        if (request.TransactionalId is not null)
            return new InitProducerIdResponse { ErrorCode = ErrorCode.TransactionalIdAuthorizationFailed };
        // A producer that asks again with its id and epoch (KIP-360) gets a new id: its old state stays valid as is.
        return new InitProducerIdResponse { ProducerId = Interlocked.Increment(ref _next), ProducerEpoch = 0 };
    }
}
