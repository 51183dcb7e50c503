using LogStore.Protocol;

namespace LogStore.Clients.Groups;

/// <summary>The member's heartbeat loop (Kafka's heartbeat thread), on the thread pool.</summary>
internal sealed partial class RemoteGroupMember
{
    private const short HeartbeatVersion = 4;

    private void StartHeartbeat() => _ = Task.Run(HeartbeatLoopAsync);

    /// <summary>
    /// Every <see cref="ConsumerOptions.HeartbeatInterval"/> until the member leaves, is lost or the broker closes:
    /// checks that the consumer still polls (as the group checks a local member) and sends a Heartbeat.
    /// REBALANCE_IN_PROGRESS asks the consumer to rejoin; UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID,
    /// or no answer for a whole session timeout, lose the membership. Never throws.
    /// </summary>
    private async Task HeartbeatLoopAsync()
    {
        TimeProvider time = Broker.Options.TimeProvider;
        long lastAnswer = time.GetTimestamp();
        long lastPoll = lastAnswer;
        int polls = _signal.PollCount;
        try
        {
            while (!_stop.IsCancellationRequested && !Broker.Closing.IsCancellationRequested)
            {
                await Task.Delay(_options.HeartbeatInterval, time, _stop.Token).ConfigureAwait(false);
                long now = time.GetTimestamp();
                if (_signal.PollCount != polls || _signal.InPoll)
                {
                    polls = _signal.PollCount;
                    lastPoll = now;
                }
                else if (time.GetElapsedTime(lastPoll, now) >= _options.SessionTimeout)
                {
                    // The local group evicts such a member; here the member leaves, so the others get its partitions now.
                    string reason = $"the consumer did not poll for {_options.SessionTimeout.TotalMilliseconds:0} ms (session.timeout.ms)";
                    await LeaveQuietlyAsync().ConfigureAwait(false);
                    Lose(reason);
                    return;
                }
                // A heartbeat that gets no answer is given at most what is left of the session, so the loss is on time.
                TimeSpan left = SessionTimeout - time.GetElapsedTime(lastAnswer);
                TimeSpan timeout = TimeSpan.FromTicks(Math.Clamp(left.Ticks, _options.HeartbeatInterval.Ticks, OffsetStore.CommitTimeout.Ticks));
                if (await BeatAsync(timeout).ConfigureAwait(false) is not { } error)
                {
                    if (time.GetElapsedTime(lastAnswer) >= SessionTimeout)
                    {
                        Lose($"no coordinator answered its heartbeats for {SessionTimeout.TotalMilliseconds:0} ms");
                        return;
                    }
                    continue;
                }
                lastAnswer = time.GetTimestamp();
                switch (error)
                {
                    case ErrorCode.RebalanceInProgress:
                        RequestRejoin();
                        break;
                    case ErrorCode.UnknownMemberId or ErrorCode.IllegalGeneration or ErrorCode.FencedInstanceId:
                        Lose($"its heartbeat was answered {error}");
                        return;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested || Broker.Closing.IsCancellationRequested)
        {
            // Left, lost or closing.
        }
        catch (Exception e)
        {
            // Nothing the coordinator sends may end the consumer: the membership ends instead, and the consumer rejoins.
            Lose($"its heartbeat failed unexpectedly ({e.GetType().Name}: {e.Message})");
        }
    }

    /// <summary>One Heartbeat: the coordinator's answer, or null when none came or it is about an older generation
    /// (a JoinGroup of the consumer's thread started meanwhile, so the answer says nothing about the new one).</summary>
    private async ValueTask<ErrorCode?> BeatAsync(TimeSpan timeout)
    {
        string memberId;
        int generation;
        int joins;
        lock (_lock)
        {
            if (_lost || _joining)
                return ErrorCode.None;
            memberId = _memberId;
            generation = _generation;
            joins = _joinsStarted;
        }
        ErrorCode error;
        try
        {
            var request = new HeartbeatRequest { GroupId = GroupId, GenerationId = generation, MemberId = memberId };
            HeartbeatResponse response = await _channel.SendAsync<HeartbeatRequest, HeartbeatResponse>(GroupId, request, HeartbeatVersion,
                static r => r.ErrorCode, timeout, _stop.Token).ConfigureAwait(false);
            error = response.ErrorCode;
        }
        catch (Exception e) when (e is NotCoordinatorException or NetworkException)
        {
            GroupLog.HeartbeatFailed(Broker.Logger, GroupId, memberId, e);
            return null;
        }
        lock (_lock)
        {
            if (_joining || _joinsStarted != joins)
                return ErrorCode.None;
        }
        return error;
    }

    /// <summary>LeaveGroup from the heartbeat loop; failures are logged.</summary>
    private async ValueTask LeaveQuietlyAsync()
    {
        string memberId = MemberId;
        try
        {
            var request = new LeaveGroupRequest { GroupId = GroupId, Members = [new LeaveGroupRequest.MemberIdentity { MemberId = memberId }] };
            await _channel.SendAsync<LeaveGroupRequest, LeaveGroupResponse>(GroupId, request, LeaveGroupVersion, static r => r.ErrorCode,
                OffsetStore.CommitTimeout, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is LogStoreException or OperationCanceledException)
        {
            GroupLog.LeaveFailed(Broker.Logger, GroupId, memberId, e);
        }
    }
}
