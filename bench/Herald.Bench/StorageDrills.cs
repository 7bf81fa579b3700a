using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Herald.Bench;

/// <summary>
/// Storage fault drills with publishing running: a full disk (SQLite on a small tmpfs), a stopped PostgreSQL and a frozen
/// one (SIGSTOP of a throwaway cluster). Each reports 202/503/other answers, the slowest answer, /readyz answer times, and
/// that everything acknowledged was delivered after the fault cleared.
/// </summary>
public static class StorageDrills
{
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The drills that can run here; prints why one cannot.</summary>
    public static IEnumerable<(string Name, Func<Task<string>> Run)> Available()
    {
        if (Tmpfs.TryMount(out var mountError) is { } probe)
        {
            probe.DisposeAsync().AsTask().Wait();
            yield return ("disk full: SQLite on a 16 MiB tmpfs filled while publishing", DiskFullAsync);
        }
        else Console.WriteLine($"drill: disk-full drill not run: {mountError}");

        if (Cluster.CanCreate(out var clusterError))
        {
            yield return ("PostgreSQL stopped while publishing, then started", () => PostgresFaultAsync(freeze: false));
            yield return ("PostgreSQL frozen (SIGSTOP) while publishing, then resumed", () => PostgresFaultAsync(freeze: true));
        }
        else Console.WriteLine($"drill: PostgreSQL stop and freeze drills not run: {clusterError}");
    }

    private static Dictionary<string, string> Settings(string minFree = "0") => new()
    {
        ["Herald__Storage__WriteTimeout"] = "00:00:02",
        ["Herald__Storage__MinFreeBytes"] = minFree,
        ["Herald__Delivery__LeaseDuration"] = "00:00:04",
        ["Herald__Delivery__Timeout"] = "00:00:02",
        ["Herald__Delivery__ConnectTimeout"] = "00:00:01",
        ["Herald__Delivery__PollInterval"] = "00:00:00.100",
        ["Herald__Delivery__RetrySchedule"] = "1s,1s,2s,2s",
        ["Herald__Delivery__RetryJitter"] = "0",
    };

    private static async Task<string> DiskFullAsync()
    {
        await using var disk = Tmpfs.TryMount(out var mountError) ?? throw new Exception(mountError);
        await using var receivers = await Receivers.StartAsync(1);
        await using var node = HeraldNode.Start(disk.Path, "sqlite", null, Benchmark.FreePort(), Settings(minFree: (2 << 20).ToString()));
        await node.WaitHealthyAsync();
        using var client = node.Client();
        (await client.PostAsJsonAsync("/v1/destinations", new { kind = "webhook", url = $"http://127.0.0.1:{receivers.Ports[0]}/hook" })).EnsureSuccessStatusCode();

        await using var load = new Load(client); // a drill that fails midway stops its publishers too
        var publishing = load.RunAsync();
        await Task.Delay(1000);
        var filler = System.IO.Path.Combine(disk.Path, "filler");
        await FillAsync(filler); // the disk is full
        var faultAt = load.Elapsed;
        await Task.Delay(3000);
        var ready = await ReadyzAsync(node, 3);
        var freedAt = load.Elapsed;
        File.Delete(filler); // space freed
        var recovered = await load.WaitAcceptedAfterAsync(freedAt, TimeSpan.FromSeconds(30));
        await Task.Delay(500);
        await load.StopAsync(publishing);

        await Drill.WaitAllAsync(receivers, load.Accepted, TimeSpan.FromSeconds(90));
        var wal = new FileInfo(System.IO.Path.Combine(disk.Path, "data", "herald.db-wal"));
        var figures = $"{load.Figures(faultAt, freedAt)}; /readyz while full: {ready}; recovered {(recovered - freedAt).TotalSeconds:0.0} s after space was freed; " +
            $"all {load.Accepted.Count} acknowledged delivered; log file {(wal.Exists ? wal.Length / 1024 : 0)} KiB after";
        load.Check(WriteTimeout, faultSeen: true);
        if (!ready.StartsWith("3×503")) throw new Exception($"/readyz did not report unready while the disk was full: {figures}");
        return figures;
    }

    private static async Task<string> PostgresFaultAsync(bool freeze)
    {
        await using var cluster = await Cluster.CreateAsync();
        await using var receivers = await Receivers.StartAsync(1);
        await using var node = HeraldNode.Start(Directory.CreateTempSubdirectory("herald-drill-").FullName, "postgres", cluster.ConnectionString,
            Benchmark.FreePort(), Settings());
        await node.WaitHealthyAsync();
        using var client = node.Client();
        (await client.PostAsJsonAsync("/v1/destinations", new { kind = "webhook", url = $"http://127.0.0.1:{receivers.Ports[0]}/hook" })).EnsureSuccessStatusCode();

        await using var load = new Load(client); // a drill that fails midway stops its publishers too
        var publishing = load.RunAsync();
        await Task.Delay(1000);
        if (freeze) cluster.Freeze(); else await cluster.StopAsync();
        var faultAt = load.Elapsed;
        await Task.Delay(4000);
        var ready = await ReadyzAsync(node, 3);
        var clearedAt = load.Elapsed;
        if (freeze) cluster.Thaw(); else await cluster.StartAsync();
        var recovered = await load.WaitAcceptedAfterAsync(clearedAt, TimeSpan.FromSeconds(30));
        await Task.Delay(500);
        await load.StopAsync(publishing);

        await Drill.WaitAllAsync(receivers, load.Accepted, TimeSpan.FromSeconds(90));
        var figures = $"{load.Figures(faultAt, clearedAt)}; /readyz while {(freeze ? "frozen" : "stopped")}: {ready}; " +
            $"recovered {(recovered - clearedAt).TotalSeconds:0.0} s after {(freeze ? "SIGCONT" : "start")}; all {load.Accepted.Count} acknowledged delivered";
        load.Check(WriteTimeout, faultSeen: true);
        if (!ready.StartsWith("3×503")) throw new Exception($"/readyz did not report unready: {figures}");
        return figures;
    }

    /// <summary>Calls /readyz <paramref name="times"/> times: "3×503, slowest 1,234 ms"; fails when one takes 2 s or more.</summary>
    private static async Task<string> ReadyzAsync(HeraldNode node, int times)
    {
        using var client = new HttpClient { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var statuses = new List<int>();
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < times; i++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await client.GetAsync("/readyz");
            slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
            statuses.Add((int)response.StatusCode);
        }
        var text = string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Count()}×{g.Key}")) + $", slowest {slowest.TotalMilliseconds:N0} ms";
        if (slowest >= TimeSpan.FromSeconds(2)) throw new Exception($"/readyz took {slowest.TotalMilliseconds:N0} ms ({text})");
        return text;
    }

    private static async Task FillAsync(string file)
    {
        var chunk = new byte[1 << 20];
        await using var stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        try
        {
            while (true) await stream.WriteAsync(chunk);
        }
        catch (IOException)
        {
        }
        // The last partial megabyte too.
        try
        {
            while (true) await stream.WriteAsync(chunk.AsMemory(0, 4096));
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Four publishers, each publishing one event every 25 ms, recording every answer and how long it took.</summary>
    private sealed class Load(HttpClient client) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            _stop.Cancel();
            return ValueTask.CompletedTask;
        }

        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentQueue<(TimeSpan At, int Status, TimeSpan Took)> _answers = new();
        public ConcurrentBag<string> Accepted { get; } = [];
        public TimeSpan Elapsed => _clock.Elapsed;

        public Task RunAsync() => Task.WhenAll(Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
        {
            for (var i = p * 1_000_000; !_stop.IsCancellationRequested; i++)
            {
                var started = _clock.Elapsed;
                int status;
                try
                {
                    using var response = await client.PostAsJsonAsync("/v1/events", Benchmark.SampleEvent(i));
                    status = (int)response.StatusCode;
                    if (response.StatusCode == HttpStatusCode.Accepted)
                        Accepted.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
                    else if (status == 503 && response.Headers.RetryAfter is null) status = -503; // a 503 without Retry-After is not the promised answer
                }
                catch (Exception)
                {
                    status = 0; // no answer at all (timeout, connection error)
                }
                _answers.Enqueue((started, status, _clock.Elapsed - started));
                await Task.Delay(25);
            }
        })));

        public async Task<TimeSpan> WaitAcceptedAfterAsync(TimeSpan after, TimeSpan timeout)
        {
            var deadline = _clock.Elapsed + timeout;
            while (_clock.Elapsed < deadline)
            {
                if (_answers.FirstOrDefault(a => a.At >= after && a.Status == 202) is { Status: 202 } first) return first.At + first.Took;
                await Task.Delay(50);
            }
            throw new Exception($"Herald did not accept a publish again within {timeout.TotalSeconds:0} s of the fault clearing ({Figures(after, after)})");
        }

        public async Task StopAsync(Task running)
        {
            await _stop.CancelAsync();
            await running;
        }

        public string Figures(TimeSpan faultAt, TimeSpan clearedAt)
        {
            var all = _answers.ToList();
            var during = all.Where(a => a.At >= faultAt && a.At + a.Took < clearedAt).ToList(); // asked and answered while the fault lasted
            var others = all.Count(a => a.Status is not (202 or 503));
            return $"{all.Count} publishes: {all.Count(a => a.Status == 202)}×202, {all.Count(a => a.Status == 503)}×503, {others}×other; " +
                $"during the fault {during.Count(a => a.Status == 202)}×202 {during.Count(a => a.Status == 503)}×503, slowest answer {all.Max(a => a.Took).TotalMilliseconds:N0} ms";
        }

        public void Check(TimeSpan writeTimeout, bool faultSeen)
        {
            var all = _answers.ToList();
            var others = all.Where(a => a.Status is not (202 or 503)).Select(a => a.Status).Distinct().ToList();
            if (others.Count > 0) throw new Exception($"answers other than 202 and 503 (with Retry-After): {string.Join(", ", others)}");
            if (faultSeen && all.All(a => a.Status != 503)) throw new Exception("no publish was refused: the fault never reached Herald");
            var slowest = all.Max(a => a.Took);
            if (slowest > writeTimeout + TimeSpan.FromSeconds(1.5))
                throw new Exception($"the slowest publish took {slowest.TotalMilliseconds:N0} ms, above the write timeout ({writeTimeout.TotalSeconds:0} s) + 1.5 s");
        }
    }

    /// <summary>A 16 MiB tmpfs under /tmp (needs root, as in CI); unmounted when disposed.</summary>
    private sealed class Tmpfs : IAsyncDisposable
    {
        public string Path { get; private init; } = "";

        public static Tmpfs? TryMount(out string error)
        {
            var path = Directory.CreateTempSubdirectory("herald-drill-full-").FullName;
            var (code, output) = Shell.Run("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", path);
            error = code == 0 ? "" : $"mount -t tmpfs failed ({output.Trim()}); it needs root";
            if (code == 0) return new Tmpfs { Path = path };
            Directory.Delete(path);
            return null;
        }

        public ValueTask DisposeAsync()
        {
            Shell.Run("umount", "-l", Path);
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A throwaway PostgreSQL cluster (initdb) on a spare loopback port under a temp directory, run as user postgres when root.</summary>
    private sealed class Cluster : IAsyncDisposable
    {
        private readonly string _directory;
        private readonly int _port;
        private readonly List<int> _stopped = [];

        private Cluster(string directory, int port)
        {
            _directory = directory;
            _port = port;
        }

        public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres";

        private static string? Bin => Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderBy(d => int.TryParse(System.IO.Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => System.IO.Path.Combine(d, "bin")).LastOrDefault(d => File.Exists(System.IO.Path.Combine(d, "initdb")))
            : null;

        private static bool Root => Environment.UserName == "root";

        public static bool CanCreate(out string error)
        {
            error = Bin is null ? "no PostgreSQL server binaries (initdb) under /usr/lib/postgresql" : "";
            if (error == "" && Root && Shell.Run("id", "postgres").Code != 0) error = "running as root but there is no postgres user to run initdb as";
            return error == "";
        }

        public static async Task<Cluster> CreateAsync()
        {
            var directory = Directory.CreateTempSubdirectory("herald-drill-pg-").FullName;
            if (Root) Shell.Run("chown", "postgres", directory);
            var cluster = new Cluster(directory, Benchmark.FreePort());
            var (code, output) = cluster.AsOwner(System.IO.Path.Combine(Bin!, "initdb"), "-D", cluster.Data, "-A", "trust", "-U", "postgres", "--no-sync");
            if (code != 0) throw new Exception($"initdb failed: {output.Trim()}");
            await cluster.StartAsync();
            return cluster;
        }

        private string Data => System.IO.Path.Combine(_directory, "data");

        private (int Code, string Output) AsOwner(params string[] command) =>
            Root ? Shell.Run("su", "postgres", "-s", "/bin/sh", "-c", string.Join(' ', command.Select(Quote))) : Shell.Run(command[0], command[1..]);

        private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

        public Task StartAsync()
        {
            var (code, output) = AsOwner(System.IO.Path.Combine(Bin!, "pg_ctl"), "-D", Data, "-l", System.IO.Path.Combine(_directory, "log"), "-w", "-t", "30",
                "-o", $"-p {_port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off", "start");
            if (code != 0) throw new Exception($"pg_ctl start failed: {output.Trim()}");
            return Task.CompletedTask;
        }

        public Task StopAsync()
        {
            var (code, output) = AsOwner(System.IO.Path.Combine(Bin!, "pg_ctl"), "-D", Data, "-m", "fast", "-w", "-t", "30", "stop");
            if (code != 0) throw new Exception($"pg_ctl stop failed: {output.Trim()}");
            return Task.CompletedTask;
        }

        /// <summary>SIGSTOP to the postmaster and every one of its processes: the server accepts connections and answers nothing.</summary>
        public void Freeze()
        {
            var postmaster = int.Parse(File.ReadLines(System.IO.Path.Combine(Data, "postmaster.pid")).First());
            _stopped.Add(postmaster);
            foreach (var dir in Directory.GetDirectories("/proc"))
                if (int.TryParse(System.IO.Path.GetFileName(dir), out var pid) && ParentOf(pid) == postmaster) _stopped.Add(pid);
            foreach (var pid in _stopped) Shell.Run("kill", "-STOP", pid.ToString());
        }

        public void Thaw()
        {
            foreach (var pid in _stopped) Shell.Run("kill", "-CONT", pid.ToString());
            _stopped.Clear();
        }

        private static int ParentOf(int pid)
        {
            try { return int.Parse(File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]); }
            catch (Exception) { return -1; }
        }

        public ValueTask DisposeAsync()
        {
            Thaw();
            AsOwner(System.IO.Path.Combine(Bin!, "pg_ctl"), "-D", Data, "-m", "immediate", "-w", "-t", "30", "stop");
            try { Directory.Delete(_directory, recursive: true); } catch (Exception) { }
            return ValueTask.CompletedTask;
        }
    }

    private static class Shell
    {
        public static (int Code, string Output) Run(string file, params string[] args)
        {
            var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
            try
            {
                using var process = Process.Start(info)!;
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                process.WaitForExit();
                return (process.ExitCode, stdout.Result + stderr.Result);
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                return (-1, e.Message);
            }
        }
    }
}
