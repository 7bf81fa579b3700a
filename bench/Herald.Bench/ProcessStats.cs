namespace Herald.Bench;

/// <summary>A process's resource use read from /proc (Linux): CPU time from /proc/{pid}/stat, peak RSS from /proc/{pid}/status.</summary>
public static class ProcessStats
{
    /// <summary>User + system CPU time of the process so far; zero when it cannot be read (gone, or not Linux).</summary>
    public static TimeSpan CpuTime(int pid)
    {
        try
        {
            var fields = File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var ticks = long.Parse(fields[11]) + long.Parse(fields[12]);
            return TimeSpan.FromSeconds(ticks / 100.0);
        }
        catch (Exception) { return TimeSpan.Zero; }
    }

    /// <summary>The process's peak resident set size (VmHWM) in bytes, or null when it cannot be read.</summary>
    public static long? PeakRssBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmHWM:"))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (Exception) { }
        return null;
    }

    /// <summary>
    /// CPU time so far of each PostgreSQL backend serving <paramref name="database"/> on this machine, by pid (a backend's
    /// process title names its database: "postgres: 15/main: user database host(port) state").
    /// </summary>
    public static Dictionary<int, TimeSpan> PostgresBackends(string database)
    {
        var backends = new Dictionary<int, TimeSpan>();
        try
        {
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(directory), out var pid)) continue;
                string title;
                try { title = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' '); }
                catch (Exception) { continue; }
                if (title.StartsWith("postgres: ", StringComparison.Ordinal) && title.Contains($" {database} ", StringComparison.Ordinal))
                    backends[pid] = CpuTime(pid);
            }
        }
        catch (Exception) { }
        return backends;
    }
}
