using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace DreamLayer.Benchmark;

/// <summary>
/// Fills a database the app's migrations made (and nothing else wrote to) with <c>images</c> synthetic images, their
/// jobs, LoRAs, favourites and boards, in minutes for a million: rows go straight into the tables through prepared
/// commands, one transaction per <see cref="Batch"/> images, with no journal and no sync (a seed stopped half-way
/// leaves a folder the benchmark refuses: delete it). The indexes and triggers of the tables it fills are dropped
/// first and recreated from their own stored SQL afterwards, and the search index is rebuilt once with FTS5's
/// <c>rebuild</c>; the schema is then checked to be exactly the one the migrations made. <c>Seq</c> is given in
/// order, as the insert trigger would. No image files are written: the benchmark times queries, which read rows only.
/// </summary>
/// <param name="jobsOnly">
/// The dashboard's seed (<see cref="DashboardBenchmark"/>): <c>images</c> jobs with a realistic spread of outcomes,
/// servers and times (<see cref="InsertJobs"/>) and no images, search index or boards.
/// </param>
internal sealed class GallerySeeder(int images, bool jobsOnly = false)
{
    internal static readonly string[] Vocabulary = BuildVocabulary();
    internal static readonly string[] Models = ["sd_xl_base_1.0.safetensors", "v1-5-pruned-emaonly.safetensors", "juggernautXL_v9.safetensors", "dreamshaper_8.safetensors", "realisticVision_v51.safetensors", "flux1-dev-fp8.safetensors"];
    internal static readonly string[] Samplers = ["euler", "euler_ancestral", "dpmpp_2m", "dpmpp_2m_sde", "dpmpp_3m_sde", "ddim", "uni_pc", "lcm"];
    internal static readonly string[] Modes = ["Txt2Img", "Txt2Img", "Txt2Img", "Img2Img", "Inpaint", "Upscale"];
    internal static readonly (int W, int H)[] Sizes = [(512, 512), (768, 768), (1024, 1024), (832, 1216), (1216, 832), (512, 768)];
    internal static readonly string[] Loras = [.. Enumerable.Range(0, 24).Select(i => $"style_lora_{i:00}")];
    internal const int People = 20;

    /// <summary>The member the benchmark signs in as: the favourites and the two boards are theirs.</summary>
    internal const string Member = "user-03";

    /// <summary>A board of one image in <see cref="LargeBoardEvery"/> (dense) and one of one in <see cref="SmallBoardEvery"/> (sparse).</summary>
    internal static readonly Guid LargeBoard = new("0190a000-0000-7000-8000-00000000b001");
    internal static readonly Guid SmallBoard = new("0190a000-0000-7000-8000-00000000b002");
    private const int LargeBoardEvery = 100;
    private const int SmallBoardEvery = 5000;

    /// <summary>Images per transaction.</summary>
    private const int Batch = 50_000;

    /// <summary>The tables the seed fills: their indexes and triggers are rebuilt once at the end rather than row by row.</summary>
    private static readonly string[] FilledTables = ["Jobs", "Images", "ImageLoras", "Favourites", "BoardImages"];

    public void Seed(string databasePath, CancellationToken ct)
    {
        Console.Error.WriteLine(jobsOnly ? $"Seeding {images:N0} jobs…" : $"Seeding {images:N0} images…");
        using var connection = new SqliteConnection($"Data Source={databasePath};Pooling=False");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -524288; PRAGMA temp_store = MEMORY;");
        var schema = Schema(connection);
        var deferred = schema.Where(o => o.Type is "index" or "trigger" && FilledTables.Contains(o.Table) && o.Sql is not null).ToList();
        foreach (var o in deferred)
        {
            Execute(connection, $"DROP {o.Type.ToUpperInvariant()} \"{o.Name}\"");
        }

        var stage = Stopwatch.StartNew();
        if (jobsOnly)
        {
            InsertJobs(connection, ct);
        }
        else
        {
            InsertRows(connection, ct);
        }
        Console.Error.WriteLine($"  rows written in {stage.Elapsed.TotalSeconds:0} s; indexes and triggers…");
        stage.Restart();
        foreach (var o in deferred)
        {
            Execute(connection, o.Sql!);
        }
        Console.Error.WriteLine($"  indexes and triggers in {stage.Elapsed.TotalSeconds:0} s; search index and dashboard rollups…");
        stage.Restart();
        if (!jobsOnly)
        {
            Execute(connection, $"INSERT INTO {DreamLayer.Web.Data.GallerySchema.FtsTable}({DreamLayer.Web.Data.GallerySchema.FtsTable}) VALUES ('rebuild');");
        }
        // The rollups' triggers were dropped with the others: the rollups are built once from the rows, as the migration does.
        var rollups = Stopwatch.StartNew();
        Execute(connection, DreamLayer.Web.Data.DashboardSchema.Rebuild);
        RollupTime = rollups.Elapsed;
        Console.Error.WriteLine($"  search index and rollups in {stage.Elapsed.TotalSeconds:0} s (rollups {RollupTime.TotalSeconds:0.0} s)");
        var after = Schema(connection);
        if (!after.OrderBy(o => o.Name, StringComparer.Ordinal).SequenceEqual(schema.OrderBy(o => o.Name, StringComparer.Ordinal)))
        {
            throw new InvalidOperationException("The seeded database's schema differs from the one the migrations made.");
        }
        Execute(connection, "PRAGMA journal_mode = WAL;");
    }

    /// <summary>How long rebuilding the dashboard's rollups from the seeded jobs took (what the migration costs an upgrade).</summary>
    public TimeSpan RollupTime { get; private set; }

    internal static readonly string[] DashboardModels = [.. Models, "sd3.5_large.safetensors", "pony_v6.safetensors"];

    /// <summary>Three ComfyUI servers, the third one slow, and a cloud provider.</summary>
    internal static readonly (string Server, double Speed, bool Cloud)[] Servers = [("gpu-1", 1.0, false), ("gpu-2", 1.1, false), ("gpu-3", 0.35, false), ("Bfl", 1.0, true)];

    internal static readonly string[] FailureReasons =
        ["Out of memory on the server", "The server went away", "Model not found on the server", "The prompt was refused: invalid value for steps"];

    /// <summary>The dashboard's people: the first ten of the gallery's.</summary>
    internal const int DashboardPeople = 10;

    /// <summary>
    /// Jobs only, over a year, busier in working hours: ten people, eight models, three servers (one slow) and a cloud
    /// provider; about 5% fail (four reasons) and 1% are cancelled; queue waits and run times vary per model and server.
    /// </summary>
    private void InsertJobs(SqliteConnection connection, CancellationToken ct)
    {
        var random = new Random(44);
        var start = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var transaction = connection.BeginTransaction();
        using var job = Command(connection, """
            INSERT INTO Jobs (Id, BatchId, BatchIndex, Owner, Mode, Status, StatusMessage, RequestJson, Prompt, NegativePrompt, Checkpoint, Sampler, Scheduler,
                              Steps, Cfg, Width, Height, BatchSize, Seed, Attempts, CreatedAt, FinishedAt, Backend, CloudProvider, ExecutionMs, QueueWaitMs, StepsPerSecond)
            VALUES ($id, $id, 0, $owner, 'Txt2Img', $status, $message, '{}', 'a prompt', '', $model, 'euler', 'normal', $steps, 7, 1024, 1024, 1, '1', 1,
                    $created, $finished, $backend, $cloud, $run, $wait, $speed)
            """, "$id", "$owner", "$status", "$message", "$model", "$steps", "$created", "$finished", "$backend", "$cloud", "$run", "$wait", "$speed");
        job.Transaction = transaction;
        job.Prepare();
        for (var n = 0; n < images; n++)
        {
            ct.ThrowIfCancellationRequested();
            var day = start.AddDays(Math.Floor(365 * (n / (double)images)));
            var hour = random.Next(10) < 7 ? 9 + random.Next(9) : random.Next(24);
            var created = day.AddHours(hour).AddSeconds(random.Next(3600));
            var model = random.Next(DashboardModels.Length);
            var (server, speed, cloud) = Servers[random.Next(20) == 0 ? 3 : random.Next(3)];
            var roll = random.Next(100);
            var status = roll < 5 ? "Failed" : roll < 6 ? "Cancelled" : "Succeeded";
            var steps = 20 + random.Next(21);
            var wait = 50 + 20_000 * Math.Pow(random.NextDouble(), 4);
            var run = (1500 + 900 * model) * (0.8 + 0.4 * random.NextDouble()) * steps / 30 / speed;
            var ran = status == "Succeeded";
            var finished = created.AddMilliseconds(wait + (ran ? run : 0));
            var id = Id(Guid.CreateVersion7(created));
            Run(job, id, $"user-{random.Next(DashboardPeople):00}", status,
                status == "Failed" ? FailureReasons[Math.Min(random.Next(7), 3)] : status == "Cancelled" ? "Cancelled" : DBNull.Value,
                DashboardModels[model], steps, Text(created), Text(finished), cloud ? DBNull.Value : server, cloud ? server : DBNull.Value,
                ran ? run : DBNull.Value, ran ? wait : DBNull.Value, ran && !cloud ? steps / (run / 1000) : DBNull.Value);
            if ((n + 1) % Batch == 0)
            {
                transaction.Commit();
                transaction.Dispose();
                transaction = connection.BeginTransaction();
                job.Transaction = transaction;
                if ((n + 1) % (Batch * 4) == 0)
                {
                    Console.Error.WriteLine($"  {n + 1:N0} jobs");
                }
            }
        }
        transaction.Commit();
        transaction.Dispose();
    }

    /// <summary>Every image, in date order; the random draws are those of the seeder this replaced, so the rows are the same.</summary>
    private void InsertRows(SqliteConnection connection, CancellationToken ct)
    {
        var random = new Random(42);
        var boards = new Random(43);
        var start = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var span = TimeSpan.FromDays(365);
        var transaction = connection.BeginTransaction();
        using var job = Command(connection, """
            INSERT INTO Jobs (Id, BatchId, BatchIndex, Owner, Mode, Status, RequestJson, Prompt, NegativePrompt, Checkpoint, Sampler, Scheduler,
                              Steps, Cfg, Width, Height, BatchSize, Seed, Attempts, CreatedAt, FinishedAt, Backend, ExecutionMs, QueueWaitMs, StepsPerSecond)
            VALUES ($id, $id, 0, $owner, $mode, 'Succeeded', '{}', $prompt, $negative, $model, $sampler, 'normal', 20, 7, $w, $h, 1, $seed, 1, $created, $created, 'gpu-1', 4200, 120, 4.8)
            """, "$id", "$owner", "$mode", "$prompt", "$negative", "$model", "$sampler", "$w", "$h", "$seed", "$created");
        using var image = Command(connection, """
            INSERT INTO Images (Id, JobId, "Index", RelativePath, Width, Height, SizeBytes, CreatedAt, Parameters, OwnerId, OwnerName, Mode, Model, Sampler,
                                Prompt, NegativePrompt, IsPrivate, DeletedAt, Seq)
            VALUES ($id, $job, 0, $path, $w, $h, $size, $created, '', $owner, $ownerName, $mode, $model, $sampler, $prompt, $negative, $private, $deleted, $seq)
            """, "$id", "$job", "$path", "$w", "$h", "$size", "$created", "$owner", "$ownerName", "$mode", "$model", "$sampler", "$prompt", "$negative", "$private", "$deleted", "$seq");
        using var lora = Command(connection, "INSERT INTO ImageLoras (ImageId, Name) VALUES ($id, $name)", "$id", "$name");
        using var favourite = Command(connection, "INSERT INTO Favourites (UserId, ImageId, CreatedAt) VALUES ($user, $id, $created)", "$user", "$id", "$created");
        using var boardImage = Command(connection, "INSERT INTO BoardImages (BoardId, ImageId, AddedAt) VALUES ($board, $id, $added)", "$board", "$id", "$added");
        SqliteCommand[] commands = [job, image, lora, favourite, boardImage];
        foreach (var command in commands)
        {
            command.Transaction = transaction;
            command.Prepare();
        }
        using (var board = Command(connection, "INSERT INTO Boards (Id, Name, OwnerId, OwnerName, IsShared, CreatedAt) VALUES ($id, $name, $owner, $ownerName, $shared, $created)",
            "$id", "$name", "$owner", "$ownerName", "$shared", "$created"))
        {
            board.Transaction = transaction;
            var createdText = Text(start);
            Run(board, Id(LargeBoard), "Keepers", Member, "person 03", 1, createdText);
            Run(board, Id(SmallBoard), "Portfolio", Member, "person 03", 0, createdText);
        }
        for (var n = 0; n < images; n++)
        {
            ct.ThrowIfCancellationRequested();
            var created = start + span * (n / (double)images) + TimeSpan.FromMilliseconds(random.Next(1000));
            var id = Guid.CreateVersion7(created);
            var owner = random.Next(People);
            var size = Sizes[random.Next(Sizes.Length)];
            var prompt = Prompt(random);
            var (model, sampler, mode) = (Models[random.Next(Models.Length)], Samplers[random.Next(Samplers.Length)], Modes[random.Next(Modes.Length)]);
            var relative = $"{created:yyyy}/{created:MM}/{created:dd}/{id:N}.png";
            var createdText = Text(created);
            var idText = Id(id);
            Run(job, idText, $"user-{owner:00}", mode, prompt, "blurry, lowres", model, sampler, size.W, size.H, random.NextInt64().ToString(CultureInfo.InvariantCulture), createdText);
            Run(image, idText, idText, relative, size.W, size.H, 120, createdText,
                $"user-{owner:00}", $"person {owner:00}", mode, model, sampler, prompt, "blurry, lowres", random.Next(20) == 0 ? 1 : 0,
                random.Next(100) == 0 ? createdText : DBNull.Value, n + 1L);
            if (random.Next(10) == 0)
            {
                Run(lora, idText, Loras[random.Next(Loras.Length)]);
            }
            if (random.Next(50) == 0)
            {
                Run(favourite, Member, idText, createdText);
            }
            if (boards.Next(LargeBoardEvery) == 0)
            {
                Run(boardImage, Id(LargeBoard), idText, createdText);
            }
            if (boards.Next(SmallBoardEvery) == 0)
            {
                Run(boardImage, Id(SmallBoard), idText, createdText);
            }
            if ((n + 1) % Batch == 0)
            {
                transaction.Commit();
                transaction.Dispose();
                transaction = connection.BeginTransaction();
                foreach (var command in commands)
                {
                    command.Transaction = transaction;
                }
                if ((n + 1) % (Batch * 4) == 0)
                {
                    Console.Error.WriteLine($"  {n + 1:N0} images");
                }
            }
        }
        transaction.Commit();
        transaction.Dispose();
    }

    /// <summary>How EF Core stores a <see cref="Guid"/> and a <see cref="DateTime"/> in SQLite.</summary>
    private static string Id(Guid id) => id.ToString().ToUpperInvariant();

    private static string Text(DateTime time) => time.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);

    private sealed record SchemaObject(string Type, string Name, string Table, string? Sql);

    private static List<SchemaObject> Schema(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid";
        using var reader = command.ExecuteReader();
        var objects = new List<SchemaObject>();
        while (reader.Read())
        {
            objects.Add(new SchemaObject(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }
        return objects;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static string Prompt(Random random)
    {
        var words = new List<string>(18);
        if (random.Next(3) == 0)
        {
            words.Add("masterpiece");
        }
        var count = 8 + random.Next(10);
        for (var i = 0; i < count; i++)
        {
            // Zipf-like: a few words are common, most are rare, as in real prompts.
            words.Add(Vocabulary[(int)(Vocabulary.Length * Math.Pow(random.NextDouble(), 2.5))]);
        }
        return string.Join(", ", words);
    }

    private static string[] BuildVocabulary()
    {
        string[] syllables = ["ka", "lo", "mi", "ren", "sol", "ta", "vex", "dor", "ni", "que", "bra", "zel", "pho", "gri", "lum", "yar", "ost", "ven", "cil", "mar"];
        var words = new List<string>();
        foreach (var a in syllables)
        {
            foreach (var b in syllables)
            {
                foreach (var c in syllables.Take(5))
                {
                    words.Add(a + b + c);
                }
            }
        }
        // A fixed shuffle (string hash codes differ from process to process): a run that reuses a seeded data folder
        // must find the same words common as the run that seeded it.
        var shuffled = words.ToArray();
        new Random(7).Shuffle(shuffled);
        return shuffled;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params string[] names)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in names)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }
        return command;
    }

    private static void Run(SqliteCommand command, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }
        command.ExecuteNonQuery();
    }
}
