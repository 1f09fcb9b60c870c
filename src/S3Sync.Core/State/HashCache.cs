using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using S3Sync.Hashing;
using S3Sync.Local;
using S3Sync.Remote;

namespace S3Sync.State;

/// <summary>
/// Remembers, per site and relative path, the digest of a file against its <see cref="FileFingerprint"/>, in an
/// SQLite database (<c>hashes.db</c> under <c>state_dir</c>), so an unchanged file is never read twice.
/// <para>Trust rules: a row is used only when the fingerprint is identical, its own checksum holds (a damaged row
/// is a miss, never a wrong answer), and the file's mtime and ctime were at least <see cref="RacyMargin"/> older than
/// the moment hashing began: a file written again within the filesystem's timestamp granularity of being hashed
/// could otherwise keep its fingerprint with new content (git's "racily clean" case).</para>
/// <para>A row of a file of multipart size may have an empty <c>md5</c> (its part MD5s at s3sync's part size are there,
/// and the checksum covers every column as always): it answers a comparison with s3sync's multipart ETag without a read;
/// when the whole-file MD5 is asked for, the file is read once and the row completed. A smaller file's row without its
/// MD5 is refused (a miss).</para>
/// <para>Rows are written as the run goes, committed every <see cref="CommitInterval"/> or
/// <see cref="CommitBatch"/> rows, so a killed run keeps what it hashed. Any database error disables the cache
/// for the rest of the run with one warning; the run goes on hashing everything.</para>
/// </summary>
public sealed class HashCache : IDisposable
{
    public const string FileName = "hashes.db";
    private const int SchemaVersion = 1;

    /// <summary>How much older than the hash a file's timestamps must be for its row to be trusted: measured for this
    /// state folder when it is opened (<see cref="RacyMargin.ForStateFolder"/>).</summary>
    public RacyMargin Margin { get; init; } = RacyMargin.Fixed;

    private static readonly Lazy<bool> Initialized = new(() =>
    {
        SQLitePCL.raw.SetProvider(new SQLitePCL.SQLite3Provider_sqlite3());
        return true;
    });

    private readonly Lock _gate = new();
    private readonly Action<string> _warn;
    private readonly Dictionary<(string Site, string Path), Row?> _pending = [];
    private readonly Stopwatch _sinceCommit = Stopwatch.StartNew();
    private readonly Timer _timer;
    private bool _armed;
    private SqliteConnection? _connection;
    private SqliteCommand? _select, _upsert, _delete;
    private long _corruptRows;

    private HashCache(string path, SqliteConnection connection, Action<string> warn)
    {
        Path = path;
        _connection = connection;
        _warn = warn;
        // Armed by the first row pending after a commit, one shot (ArmLocked): an idle watch is never woken by it.
        _timer = new Timer(_ => CommitOnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>At most this long between a row's write and its commit.</summary>
    public static TimeSpan CommitInterval { get; } = TimeSpan.FromSeconds(1);

    /// <summary>Rows written per transaction at most.</summary>
    public int CommitBatch { get; init; } = 1000;

    /// <summary>True once a database error has turned the cache off for this run.</summary>
    public bool Disabled { get { lock (_gate) return _connection is null; } }

    /// <summary>
    /// Where the cache lives: <paramref name="configured"/> (the <c>--state-dir</c> flag or <c>state_dir</c>), else
    /// <c>$S3SYNC_STATE_DIR</c> (the container sets <c>/var/lib/s3sync</c>), else <c>$XDG_STATE_HOME/s3sync</c>, else
    /// <c>~/.local/state/s3sync</c>.
    /// </summary>
    public static string ResolveDirectory(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        if (Environment.GetEnvironmentVariable("S3SYNC_STATE_DIR") is { Length: > 0 } env) return env;
        if (Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } xdg && System.IO.Path.IsPathRooted(xdg)) return System.IO.Path.Combine(xdg, "s3sync");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return System.IO.Path.Combine(home.Length > 0 ? home : "/tmp", ".local", "state", "s3sync");
    }

    /// <summary>
    /// Opens (creating as needed) the cache in <paramref name="directory"/>. Null, after one call of
    /// <paramref name="warn"/>, when it cannot be used; the caller then hashes without a cache.
    /// </summary>
    public static HashCache? Open(string directory, Action<string> warn, int commitBatch = 1000)
    {
        var path = System.IO.Path.Combine(directory, FileName);
        SqliteConnection? connection = null;
        try
        {
            _ = Initialized.Value;
            // Private: the cache lists every backed-up path (created 0700 and 0600; older, readable ones tightened). A
            // folder that is not this user's alone stops the run (StateFolderException, not caught here).
            StateFolder.Prepare(directory, warn);
            connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadWriteCreate }.ToString());
            connection.Open();
            Execute(connection, "PRAGMA busy_timeout = 5000");
            var version = Convert.ToInt64(Scalar(connection, "PRAGMA user_version"), CultureInfo.InvariantCulture);
            if (version == 0)
            {
                Execute(connection, """
                    CREATE TABLE IF NOT EXISTS digests (
                        site TEXT NOT NULL, path TEXT NOT NULL,
                        dev INTEGER NOT NULL, ino INTEGER NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
                        hashed_at_ns INTEGER NOT NULL, md5 BLOB NOT NULL, part_size INTEGER NOT NULL, part_md5s BLOB NOT NULL, other_etags TEXT NOT NULL,
                        row_check INTEGER NOT NULL,
                        PRIMARY KEY (site, path)) WITHOUT ROWID;
                    PRAGMA user_version = 1;
                    """);
            }
            else if (version != SchemaVersion)
            {
                throw new InvalidDataException($"schema version {version} is not {SchemaVersion} (written by another s3sync version?)");
            }
            Execute(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
            return new HashCache(path, connection, warn) { CommitBatch = Math.Max(1, commitBatch), Margin = RacyMargin.ForStateFolder(directory) };
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException or InvalidDataException or InvalidOperationException)
        {
            connection?.Dispose();
            warn($"hash cache {path} cannot be used ({Reason(e)}); hashing every file this run");
            return null;
        }
    }

    /// <summary>The cached digest for this fingerprint, or null (no row, another fingerprint, racy, or damaged).</summary>
    public FileDigest? TryGet(string site, string relativePath, FileFingerprint fingerprint)
    {
        Row? row;
        lock (_gate)
        {
            if (!_pending.TryGetValue((site, relativePath), out row))
            {
                if (_connection is null) return null;
                try
                {
                    _select ??= Prepare("SELECT " + Columns + " FROM digests WHERE site = $site AND path = $path", "$site", "$path");
                    _select.Parameters[0].Value = site;
                    _select.Parameters[1].Value = relativePath;
                    using var reader = _select.ExecuteReader();
                    if (!reader.Read()) return null;
                    row = ReadRow(reader, 0);
                }
                catch (Exception e) when (e is SqliteException or InvalidCastException or InvalidOperationException)
                {
                    Disable(e);
                    return null;
                }
            }
        }
        return Validate(site, relativePath, row, fingerprint);
    }

    /// <summary>
    /// A reader of one site's rows in key order (UTF-8 byte order, which is SQLite's BINARY order of TEXT), for a
    /// planner that asks in that order: one sequential scan instead of a query per file.
    /// </summary>
    public Scan ScanSite(string site) => new(this, site);

    private const string Columns = "dev, ino, size, mtime_ns, ctime_ns, hashed_at_ns, md5, part_size, part_md5s, other_etags, row_check";

    private static Row ReadRow(SqliteDataReader reader, int first) => new(
        new FileFingerprint((ulong)reader.GetInt64(first), (ulong)reader.GetInt64(first + 1), reader.GetInt64(first + 2), reader.GetInt64(first + 3), reader.GetInt64(first + 4)),
        reader.GetInt64(first + 5), (byte[])reader.GetValue(first + 6), reader.GetInt64(first + 7), (byte[])reader.GetValue(first + 8), reader.GetString(first + 9), reader.GetInt64(first + 10));

    private FileDigest? Validate(string site, string relativePath, Row? row, FileFingerprint fingerprint)
    {
        if (row is null || row.Fingerprint != fingerprint) return null;
        if (row.Check != Checksum(site, relativePath, row))
        {
            if (Interlocked.Increment(ref _corruptRows) == 1) _warn($"hash cache {Path}: a damaged row was ignored (the file is hashed again)");
            return null;
        }
        if (Margin.IsRacy(fingerprint, row.HashedAtNs)) return null;
        return row.ToDigest(fingerprint.Size);
    }

    /// <summary>See <see cref="ScanSite"/>. Keys asked out of order, or written during this run, fall back to
    /// <see cref="TryGet"/>. The scan reads the database as it was when it began (WAL snapshot).</summary>
    public sealed class Scan : IDisposable
    {
        private readonly HashCache _owner;
        private readonly string _site;
        private readonly Lock _gate = new();
        private SqliteConnection? _connection;
        private SqliteCommand? _command;
        private SqliteDataReader? _reader;
        private bool _started, _exhausted, _failed;
        private string? _path, _behind;
        private Row? _row;

        internal Scan(HashCache owner, string site)
        {
            _owner = owner;
            _site = site;
        }

        public FileDigest? TryGet(string relativePath, FileFingerprint fingerprint)
        {
            lock (_gate)
            {
                try
                {
                    if (!_started) Start();
                    // Asked behind the cursor (out of order) or the scan failed: a point query below.
                    if (!_failed && (_behind is null || KeyOrder.Instance.Compare(_behind, relativePath) < 0))
                    {
                        while (!_exhausted && KeyOrder.Instance.Compare(_path!, relativePath) < 0)
                        {
                            _behind = _path;
                            Advance();
                        }
                        if (_exhausted || _path != relativePath)
                            return _owner.TryGetPending(_site, relativePath, fingerprint); // not in the table when the scan began
                        if (!_owner.IsPending(_site, relativePath))
                            return _owner.Validate(_site, relativePath, _row, fingerprint);
                    }
                }
                catch (Exception e) when (e is SqliteException or InvalidCastException or InvalidOperationException)
                {
                    _failed = true;
                    Close();
                }
            }
            return _owner.TryGet(_site, relativePath, fingerprint);
        }

        private void Start()
        {
            _started = true;
            if (_owner.Disabled)
            {
                _failed = true;
                return;
            }
            _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _owner.Path, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
            _connection.Open();
            _command = _connection.CreateCommand();
            _command.CommandText = "SELECT path, " + Columns + " FROM digests WHERE site = $site ORDER BY path";
            _command.Parameters.AddWithValue("$site", _site);
            _reader = _command.ExecuteReader();
            Advance();
        }

        private void Advance()
        {
            if (_reader!.Read())
            {
                _path = _reader.GetString(0);
                _row = ReadRow(_reader, 1);
                return;
            }
            _exhausted = true;
            Close();
        }

        private void Close()
        {
            _reader?.Dispose();
            _command?.Dispose();
            _connection?.Dispose();
            (_reader, _command, _connection, _row) = (null, null, null, null);
        }

        public void Dispose()
        {
            lock (_gate) Close();
        }
    }

    private FileDigest? TryGetPending(string site, string relativePath, FileFingerprint fingerprint)
    {
        Row? row;
        lock (_gate)
        {
            if (!_pending.TryGetValue((site, relativePath), out row)) return null;
        }
        return Validate(site, relativePath, row, fingerprint);
    }

    private bool IsPending(string site, string relativePath)
    {
        lock (_gate) return _pending.ContainsKey((site, relativePath));
    }

    /// <summary>Records a digest; <paramref name="hashedAtNs"/> is when the read that produced it began (Unix ns).</summary>
    public void Put(string site, string relativePath, FileFingerprint fingerprint, long hashedAtNs, FileDigest digest)
    {
        var others = string.Join(",", digest.OtherETags.OrderBy(p => p.Key).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}={p.Value}")));
        var parts = new byte[digest.PartMd5s.Count * 16];
        for (var i = 0; i < digest.PartMd5s.Count; i++) digest.PartMd5s[i].CopyTo(parts, i * 16);
        var row = new Row(fingerprint, hashedAtNs, digest.HasMd5 ? digest.Md5! : [], digest.PartSize, parts, others, 0);
        row = row with { Check = Checksum(site, relativePath, row) };
        lock (_gate)
        {
            if (_connection is null) return;
            _pending[(site, relativePath)] = row;
            ArmLocked();
        }
        // A large file is expensive to hash again: commit it now rather than risk losing it to a kill.
        Commit(force: digest.Size >= 64 * ETag.MiB);
    }

    /// <summary>Forgets a path (its content could not be trusted).</summary>
    public void Remove(string site, string relativePath)
    {
        lock (_gate)
        {
            if (_connection is null) return;
            _pending[(site, relativePath)] = null;
            ArmLocked();
        }
        Commit(force: false);
    }

    /// <summary>
    /// Forgets the rows of a site's files that are gone, once the site holds clearly more rows than it has files: more
    /// than <paramref name="liveFiles"/> plus a tenth, and at least 1,000 more. Each row whose path
    /// <paramref name="stillWanted"/> refuses (deleted, or excluded since) is dropped. So the cache stays within a tenth
    /// of the tree's size however many files come and go, and the stat per row this costs is paid only that rarely.
    /// Returns the rows dropped.
    /// </summary>
    public int PruneSite(string site, long liveFiles, Func<string, bool> stillWanted)
    {
        if (Disabled) return 0;
        Commit();
        var gone = new List<string>();
        try
        {
            // A connection of its own, streaming: the rows are never all in memory, and the lock is not held.
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
            connection.Open();
            using var count = connection.CreateCommand();
            count.CommandText = "SELECT COUNT(*) FROM digests WHERE site = $site";
            count.Parameters.AddWithValue("$site", site);
            var rows = Convert.ToInt64(count.ExecuteScalar(), CultureInfo.InvariantCulture);
            if (rows <= liveFiles + Math.Max(1000, liveFiles / 10)) return 0;
            using var select = connection.CreateCommand();
            select.CommandText = "SELECT path FROM digests WHERE site = $site";
            select.Parameters.AddWithValue("$site", site);
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                var path = reader.GetString(0);
                if (!stillWanted(path)) gone.Add(path);
            }
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException)
        {
            _warn($"hash cache {Path}: could not look for rows of deleted files ({Reason(e)})");
            return 0;
        }
        foreach (var path in gone) Remove(site, path);
        Commit();
        return gone.Count;
    }

    /// <summary>True while the commit timer is on its way (a row waits for it); an idle cache has none.</summary>
    internal bool CommitArmed { get { lock (_gate) return _armed; } }

    /// <summary>Called under the lock with a row pending: the commit timer fires once, <see cref="CommitInterval"/> from
    /// now, unless it is already on its way.</summary>
    private void ArmLocked()
    {
        if (_armed) return;
        _armed = true;
        try { _timer.Change(CommitInterval, Timeout.InfiniteTimeSpan); }
        catch (ObjectDisposedException) { } // closing: Dispose commits what is pending
    }

    /// <summary>The timer's commit: what is pending now waited at most <see cref="CommitInterval"/>.</summary>
    private void CommitOnTimer()
    {
        lock (_gate) _armed = false;
        Commit(force: true);
    }

    /// <summary>Commits what is pending when the batch is full, the interval has passed, or <paramref name="force"/>.</summary>
    public void Commit(bool force = true)
    {
        lock (_gate)
        {
            if (_connection is null || _pending.Count == 0) return;
            if (!force && _pending.Count < CommitBatch && _sinceCommit.Elapsed < CommitInterval) return;
            try
            {
                using var transaction = _connection.BeginTransaction();
                _upsert ??= Prepare("INSERT OR REPLACE INTO digests VALUES ($site, $path, $dev, $ino, $size, $mtime, $ctime, $at, $md5, $psize, $parts, $others, $check)",
                    "$site", "$path", "$dev", "$ino", "$size", "$mtime", "$ctime", "$at", "$md5", "$psize", "$parts", "$others", "$check");
                _delete ??= Prepare("DELETE FROM digests WHERE site = $site AND path = $path", "$site", "$path");
                _upsert.Transaction = transaction;
                _delete.Transaction = transaction;
                foreach (var ((site, path), row) in _pending)
                {
                    if (row is null)
                    {
                        _delete.Parameters[0].Value = site;
                        _delete.Parameters[1].Value = path;
                        _delete.ExecuteNonQuery();
                        continue;
                    }
                    var p = _upsert.Parameters;
                    p[0].Value = site;
                    p[1].Value = path;
                    p[2].Value = (long)row.Fingerprint.Device;
                    p[3].Value = (long)row.Fingerprint.Inode;
                    p[4].Value = row.Fingerprint.Size;
                    p[5].Value = row.Fingerprint.MtimeNs;
                    p[6].Value = row.Fingerprint.CtimeNs;
                    p[7].Value = row.HashedAtNs;
                    p[8].Value = row.Md5;
                    p[9].Value = row.PartSize;
                    p[10].Value = row.PartMd5s;
                    p[11].Value = row.OtherETags;
                    p[12].Value = row.Check;
                    _upsert.ExecuteNonQuery();
                }
                transaction.Commit();
                _upsert.Transaction = null;
                _delete.Transaction = null;
                _pending.Clear();
                _sinceCommit.Restart();
            }
            catch (Exception e) when (e is SqliteException or InvalidOperationException)
            {
                Disable(e);
            }
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        Commit();
        lock (_gate) Close();
    }

    private SqliteCommand Prepare(string sql, params string[] names)
    {
        var command = _connection!.CreateCommand();
        command.CommandText = sql;
        foreach (var name in names) command.Parameters.Add(new SqliteParameter { ParameterName = name });
        command.Prepare();
        return command;
    }

    /// <summary>Called under the lock: one warning, then the cache is off for the rest of the run.</summary>
    private void Disable(Exception e)
    {
        if (_connection is null) return;
        Close();
        _pending.Clear();
        _warn($"hash cache {Path} failed ({Reason(e)}); it is not used for the rest of this run");
    }

    private void Close()
    {
        _select?.Dispose();
        _upsert?.Dispose();
        _delete?.Dispose();
        (_select, _upsert, _delete) = (null, null, null);
        _connection?.Dispose();
        _connection = null;
    }

    private static string Reason(Exception e) => e is SqliteException s ? $"{s.Message.TrimEnd('.')}" : e.Message.TrimEnd('.');

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    /// <summary>A checksum (64-bit FNV-1a) over the key and every column, so a damaged or misplaced row is never
    /// trusted. It guards against damage, not against someone who can write the database.</summary>
    private static long Checksum(string site, string path, Row row)
    {
        var h = 14695981039346656037UL;
        void Byte(byte b) => h = (h ^ b) * 1099511628211UL;
        void Number(long v)
        {
            for (var i = 0; i < 8; i++) Byte((byte)(v >> (8 * i)));
        }
        void Text(string t)
        {
            Number(t.Length);
            foreach (var c in t) { Byte((byte)c); Byte((byte)(c >> 8)); }
        }
        void Bytes(byte[] b)
        {
            Number(b.Length);
            foreach (var x in b) Byte(x);
        }
        Text(site);
        Text(path);
        Number((long)row.Fingerprint.Device);
        Number((long)row.Fingerprint.Inode);
        Number(row.Fingerprint.Size);
        Number(row.Fingerprint.MtimeNs);
        Number(row.Fingerprint.CtimeNs);
        Number(row.HashedAtNs);
        Bytes(row.Md5);
        Number(row.PartSize);
        Bytes(row.PartMd5s);
        Text(row.OtherETags);
        return (long)h;
    }

    private sealed record Row(FileFingerprint Fingerprint, long HashedAtNs, byte[] Md5, long PartSize, byte[] PartMd5s, string OtherETags, long Check)
    {
        public FileDigest? ToDigest(long size)
        {
            if (Md5.Length is not (0 or 16) || PartMd5s.Length % 16 != 0) return null;
            // The part size rule may change between versions: a row hashed with another rule is a miss.
            var expectedPartSize = ETag.IsMultipartSize(size) ? ETag.PartSizeFor(size) : 0;
            // Only a multipart-size file may lack its whole MD5 (its part MD5s answer); a smaller one's MD5 is its ETag.
            if (Md5.Length == 0 && expectedPartSize == 0) return null;
            if (PartSize != expectedPartSize || (PartMd5s.Length / 16 != (PartSize == 0 ? 0 : ETag.PartCount(size, PartSize)))) return null;
            var parts = new List<byte[]>(PartMd5s.Length / 16);
            for (var i = 0; i < PartMd5s.Length; i += 16) parts.Add(PartMd5s[i..(i + 16)]);
            var others = new Dictionary<long, string>();
            foreach (var pair in OtherETags.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq < 0 || !long.TryParse(pair[..eq], NumberStyles.None, CultureInfo.InvariantCulture, out var partSize)) return null;
                others[partSize] = pair[(eq + 1)..];
            }
            return new FileDigest(size, Md5.Length == 0 ? null : Md5, PartSize, parts, others);
        }
    }
}
