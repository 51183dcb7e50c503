using LogStore.Protocol;

namespace LogStore.Network.Apis;

/// <summary>
/// InitProducerId: a producer id for an idempotent producer (epoch 0), from the broker's <see cref="Storage.Producers.ProducerIdManager"/>,
/// which its in-process producers share, so that no two producers get the same id. Transactions are not supported:
/// a transactional id is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which clients report as fatal rather than
/// retry. An id that cannot be handed out (the block of ids cannot be recorded, a read-only store) is answered with the
/// error's code (KAFKA_STORAGE_ERROR), which clients retry.
/// </summary>
internal sealed class InitProducerIdApi(Broker broker)
{
    public InitProducerIdResponse Handle(InitProducerIdRequest request)
    {
        if (request.TransactionalId is not null)
            return new InitProducerIdResponse { ErrorCode = ErrorCode.TransactionalIdAuthorizationFailed };
        long producerId;
        try
        {
            producerId = broker.ProducerIds.NextProducerId();
        }
        catch (LogStoreException e)
        {
            return new InitProducerIdResponse { ErrorCode = ErrorCodes.FromException(e) };
        }
        // A producer that asks again with its id and epoch (KIP-360) gets a new id: its old state stays valid as is.
        return new InitProducerIdResponse { ProducerId = producerId, ProducerEpoch = 0 };
    }
}
