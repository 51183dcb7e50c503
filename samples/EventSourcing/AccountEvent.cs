namespace EventSourcing;

/// <summary>What happened to an account: opened, money deposited or withdrawn. Stored as JSON, one per record.</summary>
internal sealed record AccountEvent(string Account, string Kind, decimal Amount, DateTimeOffset At)
{
    public const string Opened = "Opened";
    public const string Deposited = "Deposited";
    public const string Withdrawn = "Withdrawn";

    /// <summary>The balance after this event, from the balance before it.</summary>
    public decimal Apply(decimal balance) => Kind switch
    {
        Opened => 0,
        Deposited => balance + Amount,
        Withdrawn => balance - Amount,
        _ => throw new InvalidOperationException($"Unknown event kind {Kind}."),
    };

    /// <summary>A deterministic history of <paramref name="count"/> events, one a minute from <paramref name="start"/>:
    /// four accounts opened, then deposits and withdrawals that never overdraw.</summary>
    public static IReadOnlyList<AccountEvent> SampleHistory(DateTimeOffset start, int count)
    {
        string[] accounts = ["acc-alice", "acc-bob", "acc-carol", "acc-dave"];
        var random = new Random(42);
        var balances = new Dictionary<string, decimal>();
        var events = new List<AccountEvent>(count);
        for (int i = 0; i < count; i++)
        {
            DateTimeOffset at = start.AddMinutes(i);
            AccountEvent e;
            if (i < accounts.Length)
            {
                e = new AccountEvent(accounts[i], Opened, 0, at);
            }
            else
            {
                string account = accounts[random.Next(accounts.Length)];
                decimal amount = random.Next(1, 50) * 5;
                e = random.Next(3) == 0 && balances[account] >= amount
                    ? new AccountEvent(account, Withdrawn, amount, at)
                    : new AccountEvent(account, Deposited, amount, at);
            }
            balances[e.Account] = e.Apply(balances.GetValueOrDefault(e.Account));
            events.Add(e);
        }
        return events;
    }

    /// <summary>The balances the events before <paramref name="before"/> (all of them when null) lead to, computed
    /// in memory: what the replays must find.</summary>
    public static Dictionary<string, decimal> Balances(IEnumerable<AccountEvent> events, DateTimeOffset? before)
    {
        var balances = new Dictionary<string, decimal>();
        foreach (AccountEvent e in events.Where(e => before is null || e.At < before))
            balances[e.Account] = e.Apply(balances.GetValueOrDefault(e.Account));
        return balances;
    }
}
