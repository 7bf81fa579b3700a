namespace Herald.Options;

/// <summary>Every setting Herald reads, bound from the "Herald" configuration section (env: Herald__...).</summary>
public sealed class HeraldOptions
{
    public const string Section = "Herald";

    public string DataDirectory { get; set; } = "./data";
    public StorageOptions Storage { get; set; } = new();
    public BootstrapOptions Bootstrap { get; set; } = new();

    /// <summary>Connector limit per plan: a number, or "unlimited".</summary>
    public Dictionary<string, string> Plans { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["free"] = "0",
        ["pro"] = "5",
        ["journalist"] = "10",
        ["enterprise"] = "unlimited",
    };

    public string DefaultPlan { get; set; } = "pro";

    public SecretsOptions Secrets { get; set; } = new();
    public DeliveryOptions Delivery { get; set; } = new();
    public EventsOptions Events { get; set; } = new();
    public RetentionOptions Retention { get; set; } = new();
    public ConsoleOptions Console { get; set; } = new();
    public ForwardedHeadersSettings ForwardedHeaders { get; set; } = new();
    public MetricsOptions Metrics { get; set; } = new();
    public global::Herald.Sources.SourcesOptions Sources { get; set; } = new();
}

/// <summary>OpenTelemetry metrics and the Prometheus scrape endpoint (docs/observability.md).</summary>
public sealed class MetricsOptions
{
    /// <summary>false: no metrics pipeline, no /metrics, no OTLP metric export.</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>Serve /metrics on this port (on the same hosts as Herald) instead of Herald's own port.</summary>
    public int? Port { get; set; }
    /// <summary>true: /metrics needs the operator key (Authorization: Bearer).</summary>
    public bool RequireKey { get; set; }
    /// <summary>true: delivery instruments carry a destination.id label (only for small installations: one series per destination).</summary>
    public bool PerDestination { get; set; }
}

public sealed class ConsoleOptions
{
    /// <summary>
    /// Origins allowed to embed Herald's pages in a frame (CSP frame-ancestors), e.g. https://admin.example.com.
    /// Empty (the default) forbids every frame: frame-ancestors 'none' and X-Frame-Options: DENY.
    /// </summary>
    public List<string> FrameAncestors { get; set; } = [];
}

/// <summary>Reverse proxies whose X-Forwarded-For/-Proto Herald believes. None by default: the headers are ignored.</summary>
public sealed class ForwardedHeadersSettings
{
    /// <summary>Proxy addresses, e.g. 10.0.0.5.</summary>
    public List<string> KnownProxies { get; set; } = [];
    /// <summary>Proxy networks in CIDR form, e.g. 10.0.0.0/24.</summary>
    public List<string> KnownNetworks { get; set; } = [];
}

public sealed class RetentionOptions
{
    /// <summary>Finished events (and their deliveries and attempts) older than this are deleted.</summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromDays(30);
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);
    /// <summary>Events deleted per transaction, so pruning never holds up delivery for long.</summary>
    public int BatchSize { get; set; } = 500;
}

public sealed class SecretsOptions
{
    /// <summary>Base64 of 32 bytes. Empty on SQLite means a key file generated under the data directory.</summary>
    public string? MasterKey { get; set; }
    /// <summary>Earlier master keys (base64), still used to open values sealed before a rotation.</summary>
    public List<string> PreviousKeys { get; set; } = [];
}

public sealed class DeliveryOptions
{
    /// <summary>Development switch: allow http:// destinations.</summary>
    public bool AllowHttp { get; set; }
    /// <summary>CIDR networks exempted from the blocked ranges, e.g. 10.20.0.0/16.</summary>
    public List<string> AllowedNetworks { get; set; } = [];
    /// <summary>curl-style overrides "host:port=address:port", e.g. hooks.slack.com:443=127.0.0.1:9443.</summary>
    public List<string> Resolve { get; set; } = [];
    /// <summary>PEM file of extra CA certificates trusted for destinations.</summary>
    public string? ExtraCaCertificates { get; set; }
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);
    public int MaxUrlLength { get; set; } = 2048;
    public int MaxResponseBodyBytes { get; set; } = 16 * 1024;

    /// <summary>false runs an API-only node that publishes but does not deliver.</summary>
    public bool Worker { get; set; } = true;
    /// <summary>Waits after the first try: "5s,5m,30m,2h,5h,10h,10h", each ±20 % jitter.</summary>
    public string RetrySchedule { get; set; } = "5s,5m,30m,2h,5h,10h,10h";
    public double RetryJitter { get; set; } = 0.2;
    public int MaxConcurrency { get; set; } = 256;
    public int PerDestinationConcurrency { get; set; } = 16;
    public int BatchSize { get; set; } = 256;
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>A destination failing this long without a success is auto-disabled.</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(5);
    /// <summary>How long a rotated-out signing secret keeps signing beside the new one.</summary>
    public TimeSpan SecretRotationOverlap { get; set; } = TimeSpan.FromHours(24);
    /// <summary>Unique id of this node in leases; empty means host name + process id.</summary>
    public string? NodeId { get; set; }

    /// <summary>On shutdown, how long sends already in flight may take to finish before they are abandoned (their leases are handed back).</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Attempts failed in a row (errors, timeouts, failing statuses) that open a destination's circuit.</summary>
    public int CircuitBreakerFailures { get; set; } = 5;
    /// <summary>How long an open circuit first waits before one probe; it doubles with each re-opening, up to the maximum.</summary>
    public TimeSpan CircuitBreakerCooldown { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan CircuitBreakerMaxCooldown { get; set; } = TimeSpan.FromMinutes(10);
}

public sealed class EventsOptions
{
    public bool AllowUnknownTypes { get; set; }
    public int MaxPayloadBytes { get; set; } = 256 * 1024;
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromHours(24);
    /// <summary>Most events written in one group-commit transaction.</summary>
    public int WriteBatchSize { get; set; } = 512;
}

public sealed class StorageOptions
{
    public string Provider { get; set; } = "sqlite";
    /// <summary>Empty on SQLite means {DataDirectory}/herald.db.</summary>
    public string? ConnectionString { get; set; }
    /// <summary>SQLite's synchronous mode: FULL (an acknowledged write survives power loss) or NORMAL (survives a crash of Herald).</summary>
    public string SqliteSynchronous { get; set; } = "FULL";
    /// <summary>How often the SQLite write-ahead log is checkpointed in the background.</summary>
    public TimeSpan SqliteCheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>
    /// Longest a request waits for the store (the writer's turn, a lock, a connection, a statement) before it is answered
    /// 503 storage_unavailable.
    /// </summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>SQLite: /readyz reports unready when the data directory's file system has less free space than this.</summary>
    public long MinFreeBytes { get; set; } = 64L * 1024 * 1024;
}

public sealed class BootstrapOptions
{
    public string? AdminKey { get; set; }
    public string? OperatorKey { get; set; }
    /// <summary>Plan of the project created on first start.</summary>
    public string Plan { get; set; } = "enterprise";
}
