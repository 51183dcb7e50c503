namespace LogStore.Network.Apis.FetchSessions;

/// <summary>
/// The session id and epoch a Fetch request carries (KIP-227, Kafka's <c>FetchMetadata</c>): session 0 is none; epoch 0
/// asks for a new session with a full fetch, -1 for a full fetch without one (closing the named session, if any); a
/// positive epoch is an incremental fetch of that session, which must be the epoch the broker expects next.
/// </summary>
internal readonly record struct FetchMetadata(int SessionId, int Epoch)
{
    public const int InvalidSessionId = 0;
    public const int InitialEpoch = 0;
    public const int FinalEpoch = -1;

    /// <summary>A full fetch: every partition is named and every one is answered.</summary>
    public bool IsFull => Epoch is InitialEpoch or FinalEpoch;

    /// <summary>The epoch after <paramref name="epoch"/>: wraps from int.MaxValue to 1, never back to 0 (a new session).</summary>
    public static int NextEpoch(int epoch) => epoch switch
    {
        < 0 => FinalEpoch,
        int.MaxValue => 1,
        _ => epoch + 1,
    };
}
