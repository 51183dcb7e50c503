using Microsoft.Data.Sqlite;

namespace LogStore.Compare.Systems;

/// <summary>
/// SQLite (Microsoft.Data.Sqlite 10.0.0, its bundled e_sqlite3) as an append-only log: one table
/// <c>log(id INTEGER PRIMARY KEY, value BLOB)</c> (id, the rowid, is the offset + 1), WAL journal,
/// synchronous=NORMAL (commits do not fsync; checkpoints do), rows inserted with one prepared statement in
/// transactions of 1,000 rows. The run ends durable: the last transaction commits with synchronous=FULL, which
/// fsyncs the WAL. Not thread-safe: one connection per store. Dispose closes it and deletes the directory.
/// </summary>
internal sealed class SqliteStore : IDisposable
{
    public const string Settings = "Microsoft.Data.Sqlite 10.0.0 (e_sqlite3), journal_mode=WAL, synchronous=NORMAL, " +
        "table log(id INTEGER PRIMARY KEY, value BLOB), prepared INSERT, 1,000-row transactions; last commit with synchronous=FULL (WAL fsync)";

    public const int TransactionRows = 1000;

    private readonly SqliteConnection _connection;
    private readonly bool _ownsDirectory;

    private SqliteStore(string directory, string path, bool ownsDirectory)
    {
        Directory = directory;
        _ownsDirectory = ownsDirectory;
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        Execute("PRAGMA journal_mode=WAL;");
        Execute("PRAGMA synchronous=NORMAL;");
        Execute("CREATE TABLE IF NOT EXISTS log (id INTEGER PRIMARY KEY, value BLOB NOT NULL);");
    }

    public string Directory { get; }

    public static SqliteStore Create(string name)
    {
        string directory = Scratch.NewDirectory(name);
        return new SqliteStore(directory, Path.Combine(directory, "log.db"), ownsDirectory: true);
    }

    /// <summary>A second database file in a directory someone else deletes (workload 5's partitions).</summary>
    public static SqliteStore CreateIn(string directory, string fileName) => new(directory, Path.Combine(directory, fileName), ownsDirectory: false);

    public void Execute(string sql)
    {
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>A prepared insert of one value; reuse it for every row.</summary>
    public Inserter CreateInserter(byte[] value) => new(_connection, value);

    /// <summary>Inserts <paramref name="records"/> rows in transactions of <paramref name="transactionRows"/>, the
    /// last one fsynced (synchronous=FULL for it, or for all when <paramref name="everyCommitDurable"/>).</summary>
    public void AppendDurably(byte[] value, long records, int transactionRows = TransactionRows, bool everyCommitDurable = false)
    {
        using Inserter inserter = CreateInserter(value);
        if (everyCommitDurable)
            Execute("PRAGMA synchronous=FULL;");
        while (records > 0)
        {
            int rows = (int)Math.Min(records, transactionRows);
            records -= rows;
            if (records == 0 && !everyCommitDurable)
                Execute("PRAGMA synchronous=FULL;");
            inserter.InsertTransaction(rows);
        }
        Execute("PRAGMA synchronous=NORMAL;");
    }

    /// <summary>Every row in offset order, each value copied into one reused buffer; returns the value bytes.</summary>
    public long ReadAll()
    {
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = "SELECT value FROM log ORDER BY id;";
        using SqliteDataReader reader = command.ExecuteReader();
        var buffer = new byte[64 * 1024];
        long total = 0;
        while (reader.Read())
            total += reader.GetBytes(0, 0, buffer, 0, buffer.Length);
        return total;
    }

    /// <summary>A prepared point query by offset (a rowid lookup in the table's B-tree).</summary>
    public Lookup CreateLookup() => new(_connection);

    public void Dispose()
    {
        _connection.Dispose();
        SqliteConnection.ClearAllPools();
        if (_ownsDirectory)
            Scratch.Delete(Directory);
    }

    /// <summary>One prepared INSERT bound to one value array.</summary>
    internal sealed class Inserter : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _insert;

        public Inserter(SqliteConnection connection, byte[] value)
        {
            _connection = connection;
            _insert = connection.CreateCommand();
            _insert.CommandText = "INSERT INTO log (value) VALUES ($value);";
            _insert.Parameters.Add("$value", SqliteType.Blob).Value = value;
            _insert.Prepare();
        }

        public void InsertTransaction(int rows)
        {
            using SqliteTransaction transaction = _connection.BeginTransaction();
            _insert.Transaction = transaction;
            for (int i = 0; i < rows; i++)
                _insert.ExecuteNonQuery();
            transaction.Commit();
        }

        public void Dispose() => _insert.Dispose();
    }

    /// <summary>SELECT value WHERE offset = …, prepared once.</summary>
    internal sealed class Lookup : IDisposable
    {
        private readonly SqliteCommand _select;
        private readonly SqliteParameter _offset;
        private readonly byte[] _buffer = new byte[64 * 1024];

        public Lookup(SqliteConnection connection)
        {
            _select = connection.CreateCommand();
            _select.CommandText = "SELECT value FROM log WHERE id = $id;";
            _offset = _select.Parameters.Add("$id", SqliteType.Integer);
            _select.Prepare();
        }

        /// <summary>The value of the record at <paramref name="offset"/> (0-based), copied; returns its length.</summary>
        public int ReadAt(long offset)
        {
            _offset.Value = offset + 1;
            using SqliteDataReader reader = _select.ExecuteReader();
            if (!reader.Read())
                throw new InvalidOperationException($"No row at offset {offset}.");
            return (int)reader.GetBytes(0, 0, _buffer, 0, _buffer.Length);
        }

        public void Dispose() => _select.Dispose();
    }
}
