using System.Text;

namespace Herald.Common;

/// <summary>
/// Standard output, when it goes to a pipe or a file (systemd, Docker, a log collector), is written in blocks at most
/// <see cref="FlushInterval"/> apart instead of one write per log line: the request log (a line per request) then costs a
/// system call, and a wake-up of whatever reads the pipe, every 100 ms rather than per request. A terminal keeps immediate
/// output. It is flushed at exit and on a crash that .NET sees; a kill -9 can lose the last 100 ms of lines.
/// </summary>
public static class BufferedConsole
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);
    private static Timer? _flusher;

    /// <summary>Only for Herald's own process (not a test host), before logging starts: the console logger keeps the writer it finds.</summary>
    public static void Install()
    {
        if (!Console.IsOutputRedirected || _flusher is not null) return;
        var writer = TextWriter.Synchronized(new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 64 * 1024) { AutoFlush = false });
        Console.SetOut(writer);
        _flusher = new Timer(_ => Flush(writer), null, FlushInterval, FlushInterval);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Flush(writer);
        AppDomain.CurrentDomain.UnhandledException += (_, _) => Flush(writer);
    }

    private static void Flush(TextWriter writer)
    {
        try
        {
            writer.Flush();
        }
        catch (IOException)
        {
            // The reader went away (a closed pipe): nothing to write to.
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
