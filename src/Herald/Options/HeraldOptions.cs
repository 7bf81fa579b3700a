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
}

public sealed class StorageOptions
{
    public string Provider { get; set; } = "sqlite";
    /// <summary>Empty on SQLite means {DataDirectory}/herald.db.</summary>
    public string? ConnectionString { get; set; }
}

public sealed class BootstrapOptions
{
    public string? AdminKey { get; set; }
    public string? OperatorKey { get; set; }
    /// <summary>Plan of the project created on first start.</summary>
    public string Plan { get; set; } = "enterprise";
}
