using LogStore.Protocol;
using LogStore.Storage.Producers;

namespace LogStore.Network.Apis;

/// <summary>
/// InitProducerId: a producer id for an idempotent producer (epoch 0), from the broker's <see cref="ProducerIdManager"/>,
/// which its in-process producers share, so that no two producers get the same id. Transactions are not supported:
/// a transactional id is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which clients report as fatal rather than
/// retry.
/// </summary>
internal sealed class InitProducerIdApi(ProducerIdManager producerIds)
{
    public InitProducerIdResponse Handle(InitProducerIdRequest request)
    {
        if (request.TransactionalId is not null)
            return new InitProducerIdResponse { ErrorCode = ErrorCode.TransactionalIdAuthorizationFailed };
        // A producer that asks again with its id and epoch (KIP-360) gets a new id: its old state stays valid as is.
        return new InitProducerIdResponse { ProducerId = producerIds.NextProducerId(), ProducerEpoch = 0 };
    }
}
