using Herald.Secrets;
using Microsoft.Extensions.Options;

namespace Herald.Options;

/// <summary>Checks settings at start so a bad value fails fast with a message naming the setting.</summary>
public sealed class HeraldOptionsValidator : IValidateOptions<HeraldOptions>
{
    public const int MinimumBootstrapKeyLength = 24;

    public ValidateOptionsResult Validate(string? name, HeraldOptions o)
    {
        var errors = new List<string>();

        if (string.IsNullOrWhiteSpace(o.DataDirectory))
            errors.Add("Herald:DataDirectory must not be empty.");

        var provider = o.Storage.Provider?.Trim().ToLowerInvariant();
        if (provider is not ("sqlite" or "postgres"))
            errors.Add($"Herald:Storage:Provider must be 'sqlite' or 'postgres' (got '{o.Storage.Provider}').");
        if (provider == "postgres" && string.IsNullOrWhiteSpace(o.Storage.ConnectionString))
            errors.Add("Herald:Storage:ConnectionString is required when Herald:Storage:Provider is 'postgres'.");

        if (o.Storage.SqliteCheckpointInterval < TimeSpan.FromMilliseconds(100) || o.Storage.SqliteCheckpointInterval > TimeSpan.FromMinutes(10))
            errors.Add("Herald:Storage:SqliteCheckpointInterval must be between 00:00:00.100 and 00:10:00.");
        if (o.Storage.WriteTimeout <= TimeSpan.Zero || o.Storage.WriteTimeout > TimeSpan.FromMinutes(10))
            errors.Add("Herald:Storage:WriteTimeout must be between 00:00:00.001 and 00:10:00.");
        if (o.Storage.MinFreeBytes < 0)
            errors.Add("Herald:Storage:MinFreeBytes must be 0 or more.");
        if (o.Storage.SqliteSynchronous?.ToUpperInvariant() is not ("FULL" or "NORMAL"))
            errors.Add($"Herald:Storage:SqliteSynchronous must be FULL or NORMAL (got '{o.Storage.SqliteSynchronous}').");
        CheckBootstrapKey(errors, "Herald:Bootstrap:AdminKey", o.Bootstrap.AdminKey);
        CheckBootstrapKey(errors, "Herald:Bootstrap:OperatorKey", o.Bootstrap.OperatorKey);
        if (!string.IsNullOrEmpty(o.Bootstrap.AdminKey) && o.Bootstrap.AdminKey == o.Bootstrap.OperatorKey)
            errors.Add("Herald:Bootstrap:AdminKey and Herald:Bootstrap:OperatorKey must differ.");

        foreach (var (plan, limit) in o.Plans)
        {
            if (!PlanCatalog.IsValidPlanName(plan))
                errors.Add($"Herald:Plans:{plan} is not a valid plan name (lowercase letters, digits, '-' and '_').");
            if (!PlanCatalog.TryParseLimit(limit, out _))
                errors.Add($"Herald:Plans:{plan} must be a non-negative whole number or 'unlimited' (got '{limit}').");
        }
        if (!o.Plans.ContainsKey(o.DefaultPlan ?? ""))
            errors.Add($"Herald:DefaultPlan '{o.DefaultPlan}' is not one of Herald:Plans ({string.Join(", ", o.Plans.Keys)}).");

        if (!o.Plans.ContainsKey(o.Bootstrap.Plan ?? ""))
            errors.Add($"Herald:Bootstrap:Plan '{o.Bootstrap.Plan}' is not one of Herald:Plans ({string.Join(", ", o.Plans.Keys)}).");

        if (o.Retention.Period < TimeSpan.FromHours(1)) errors.Add("Herald:Retention:Period must be at least 01:00:00.");
        if (o.Retention.Interval < TimeSpan.FromSeconds(1)) errors.Add("Herald:Retention:Interval must be at least 00:00:01.");
        if (o.Retention.BatchSize is < 1 or > 10_000) errors.Add("Herald:Retention:BatchSize must be between 1 and 10000.");
        ValidateSecrets(errors, o, provider);
        ValidateWeb(errors, o);
        ValidateDelivery(errors, o.Delivery);
        if (o.Metrics.Port is < 1 or > 65535)
            errors.Add($"Herald:Metrics:Port must be between 1 and 65535 (got {o.Metrics.Port}).");
        if (o.Events.MaxPayloadBytes is < 1024 or > 16 * 1024 * 1024)
            errors.Add("Herald:Events:MaxPayloadBytes must be between 1024 and 16777216.");
        if (o.Events.WriteBatchSize is < 1 or > 5000)
            errors.Add("Herald:Events:WriteBatchSize must be between 1 and 5000.");
        if (o.Events.IdempotencyWindow <= TimeSpan.Zero)
            errors.Add("Herald:Events:IdempotencyWindow must be positive.");
        global::Herald.Sources.SourcesOptionsValidator.Validate(errors, o.Sources);

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateSecrets(List<string> errors, HeraldOptions o, string? provider)
    {
        if (!string.IsNullOrWhiteSpace(o.Secrets.MasterKey) && !MasterKey.TryParse(o.Secrets.MasterKey, out _, out var error))
            errors.Add($"Herald:Secrets:MasterKey {error}.");
        if (provider == "postgres" && string.IsNullOrWhiteSpace(o.Secrets.MasterKey))
            errors.Add("Herald:Secrets:MasterKey is required with PostgreSQL, so every node seals and opens secrets with the same key " +
                       "(base64 of 32 random bytes: openssl rand -base64 32).");
        for (var i = 0; i < o.Secrets.PreviousKeys.Count; i++)
            if (!string.IsNullOrWhiteSpace(o.Secrets.PreviousKeys[i]) && !MasterKey.TryParse(o.Secrets.PreviousKeys[i], out _, out var previousError))
                errors.Add($"Herald:Secrets:PreviousKeys:{i} {previousError}.");
    }

    private static void ValidateWeb(List<string> errors, HeraldOptions o)
    {
        for (var i = 0; i < o.ForwardedHeaders.KnownProxies.Count; i++)
            if (!System.Net.IPAddress.TryParse(o.ForwardedHeaders.KnownProxies[i], out _))
                errors.Add($"Herald:ForwardedHeaders:KnownProxies:{i} must be an IP address such as 10.0.0.5 (got '{o.ForwardedHeaders.KnownProxies[i]}').");
        for (var i = 0; i < o.ForwardedHeaders.KnownNetworks.Count; i++)
            if (!System.Net.IPNetwork.TryParse(o.ForwardedHeaders.KnownNetworks[i], out _))
                errors.Add($"Herald:ForwardedHeaders:KnownNetworks:{i} must be a CIDR network such as 10.0.0.0/24 (got '{o.ForwardedHeaders.KnownNetworks[i]}').");
        for (var i = 0; i < o.Console.FrameAncestors.Count; i++)
            if (!Web.SecurityHeaders.IsValidFrameAncestor(o.Console.FrameAncestors[i]))
                errors.Add($"Herald:Console:FrameAncestors:{i} must be 'self' or an origin such as https://admin.example.com (got '{o.Console.FrameAncestors[i]}').");
    }

    private static void ValidateDelivery(List<string> errors, DeliveryOptions d)
    {
        for (var i = 0; i < d.AllowedNetworks.Count; i++)
            if (!System.Net.IPNetwork.TryParse(d.AllowedNetworks[i], out _))
                errors.Add($"Herald:Delivery:AllowedNetworks:{i} must be a CIDR network such as 10.20.0.0/16 (got '{d.AllowedNetworks[i]}').");
        for (var i = 0; i < d.Resolve.Count; i++)
            if (!Net.HostResolver.TryParseOverride(d.Resolve[i], out _, out _, out _))
                errors.Add($"Herald:Delivery:Resolve:{i} must look like host:port=address:port (got '{d.Resolve[i]}').");
        if (!string.IsNullOrWhiteSpace(d.ExtraCaCertificates) && !File.Exists(d.ExtraCaCertificates))
            errors.Add($"Herald:Delivery:ExtraCaCertificates: no file at '{d.ExtraCaCertificates}'.");
        if (d.ConnectTimeout <= TimeSpan.Zero || d.ConnectTimeout > TimeSpan.FromMinutes(1))
            errors.Add("Herald:Delivery:ConnectTimeout must be between 00:00:00.001 and 00:01:00.");
        if (d.Timeout <= TimeSpan.Zero || d.Timeout > TimeSpan.FromMinutes(5))
            errors.Add("Herald:Delivery:Timeout must be between 00:00:00.001 and 00:05:00.");
        if (d.MaxUrlLength is < 64 or > 8192)
            errors.Add("Herald:Delivery:MaxUrlLength must be between 64 and 8192.");
        if (Delivery.RetrySchedule.Parse(d.RetrySchedule) is null)
            errors.Add($"Herald:Delivery:RetrySchedule must be a comma-separated list of durations such as 5s,5m,30m,2h (got '{d.RetrySchedule}').");
        if (d.RetryJitter is < 0 or > 0.5)
            errors.Add("Herald:Delivery:RetryJitter must be between 0 and 0.5.");
        if (d.MaxConcurrency is < 1 or > 10_000)
            errors.Add("Herald:Delivery:MaxConcurrency must be between 1 and 10000.");
        if (d.PerDestinationConcurrency < 1 || d.PerDestinationConcurrency > d.MaxConcurrency)
            errors.Add("Herald:Delivery:PerDestinationConcurrency must be between 1 and Herald:Delivery:MaxConcurrency.");
        if (d.BatchSize is < 1 or > 5000)
            errors.Add("Herald:Delivery:BatchSize must be between 1 and 5000.");
        if (d.LeaseDuration < d.Timeout + TimeSpan.FromSeconds(1))
            errors.Add("Herald:Delivery:LeaseDuration must be longer than Herald:Delivery:Timeout.");
        if (d.PollInterval <= TimeSpan.Zero || d.PollInterval > TimeSpan.FromMinutes(1))
            errors.Add("Herald:Delivery:PollInterval must be between 00:00:00.001 and 00:01:00.");
        if (d.DisableAfter <= TimeSpan.Zero)
            errors.Add("Herald:Delivery:DisableAfter must be positive.");
        if (d.SecretRotationOverlap < TimeSpan.Zero || d.SecretRotationOverlap > TimeSpan.FromDays(30))
            errors.Add("Herald:Delivery:SecretRotationOverlap must be between 0 and 30 days.");
        if (d.MaxResponseBodyBytes is < 0 or > 1024 * 1024)
            errors.Add("Herald:Delivery:MaxResponseBodyBytes must be between 0 and 1048576.");
        if (d.ShutdownGrace < TimeSpan.Zero || d.ShutdownGrace > TimeSpan.FromMinutes(5))
            errors.Add("Herald:Delivery:ShutdownGrace must be between 00:00:00 and 00:05:00.");
        if (d.CircuitBreakerFailures is < 1 or > 1000)
            errors.Add("Herald:Delivery:CircuitBreakerFailures must be between 1 and 1000.");
        if (d.CircuitBreakerCooldown <= TimeSpan.Zero || d.CircuitBreakerCooldown > TimeSpan.FromDays(1))
            errors.Add("Herald:Delivery:CircuitBreakerCooldown must be between 00:00:00.001 and 1.00:00:00.");
        if (d.CircuitBreakerMaxCooldown < d.CircuitBreakerCooldown || d.CircuitBreakerMaxCooldown > TimeSpan.FromDays(1))
            errors.Add("Herald:Delivery:CircuitBreakerMaxCooldown must be between Herald:Delivery:CircuitBreakerCooldown and 1.00:00:00.");
    }

    private static void CheckBootstrapKey(List<string> errors, string setting, string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        if (value.Length < MinimumBootstrapKeyLength || value.Length > 200)
            errors.Add($"{setting} must be between {MinimumBootstrapKeyLength} and 200 characters long.");
        else if (value.Any(c => c <= ' ' || c > '~'))
            errors.Add($"{setting} must contain only printable ASCII characters without spaces.");
    }
}
