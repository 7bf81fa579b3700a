using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Herald.Common;
using Herald.Errors;
using Herald.Options;
using Herald.Secrets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Herald.Sources;

/// <summary>What a create or change names its fields in the request (the seed's providers routes call the secret webhook_secret).</summary>
public sealed record SourceFieldNames(string Kind = "kind", string Name = "name", string Secret = "secret", string Status = "status")
{
    public static readonly SourceFieldNames Default = new();
}

/// <summary>Creating, changing and deleting sources: validation, sealing, the inbound token. Returns problems, never throws on input.</summary>
public sealed class SourceService(SourceStore store, SourceProviders providers, Sealer sealer, Fingerprinter fingerprinter,
    IOptions<HeraldOptions> options, TimeProvider time)
{
    public const int TokenBytes = 32;
    public const int MinSecretLength = 8;
    public const int MaxSecretLength = 512;

    public async Task<(SourceRecord? Source, ProblemHttpResult? Problem)> CreateAsync(string projectId, string? kind, string? name, string? secret,
        string via, SourceFieldNames fields, CancellationToken ct)
    {
        var v = new Validation();
        var provider = providers.Find(kind);
        if (kind is null) v.Add(fields.Kind, "is required.");
        else if (provider is null) v.Add(fields.Kind, $"must be one of: {string.Join(", ", providers.Kinds)}.");
        var checkedName = v.Text(fields.Name, name, 100);
        var checkedSecret = secret is null ? Fail(v, fields.Secret, "is required.") : CheckSecret(v, fields.Secret, secret, provider);
        if (!v.IsValid) return (null, v.Problem());

        var id = Ids.New("src");
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(TokenBytes));
        var now = time.NowMs();
        var record = new SourceRecord
        {
            Id = id,
            ProjectId = projectId,
            Kind = provider!.Kind,
            Name = checkedName ?? provider.Name,
            Via = via,
            TokenHash = HashToken(token),
            TokenSealed = sealer.Seal(token, SealedColumns.SourceToken.Context(id)),
            SecretSealed = sealer.Seal(checkedSecret!, SealedColumns.SourceSecret.Context(id)),
            SecretFingerprint = fingerprinter.Of(checkedSecret!),
            Status = SourceStatuses.Active,
            CreatedAt = now,
            UpdatedAt = now,
        };
        if (!await store.InsertAsync(record, ct))
            return (null, Problems.Conflict("conflict", "The provider is already configured.", "Change it with PUT instead.", fields.Kind));
        return (record, null);
    }

    public async Task<(SourceRecord? Source, ProblemHttpResult? Problem)> UpdateAsync(SourceRecord current, string? name, string? secret, string? status,
        SourceFieldNames fields, CancellationToken ct)
    {
        var v = new Validation();
        var checkedName = v.Text(fields.Name, name, 100);
        var checkedSecret = secret is null ? null : CheckSecret(v, fields.Secret, secret, providers.Find(current.Kind));
        if (status is not null and not (SourceStatuses.Active or SourceStatuses.Disabled)) v.Add(fields.Status, "must be active or disabled.");
        if (!v.IsValid) return (null, v.Problem());
        var changed = current with
        {
            Name = checkedName ?? current.Name,
            SecretSealed = checkedSecret is null ? current.SecretSealed : sealer.Seal(checkedSecret, SealedColumns.SourceSecret.Context(current.Id)),
            SecretFingerprint = checkedSecret is null ? current.SecretFingerprint : fingerprinter.Of(checkedSecret),
            Status = status ?? current.Status,
            UpdatedAt = time.NowMs(),
        };
        var updated = await store.UpdateAsync(changed, ct);
        return updated is null ? (null, Problems.NotFound("Source")) : (updated, null);
    }

    /// <summary>The URL to paste into the provider's dashboard: the configured public base, or the API request's own scheme and host.</summary>
    public string InboundUrl(SourceRecord source, HttpRequest request)
    {
        var configured = options.Value.Sources.PublicBaseUrl;
        var root = string.IsNullOrEmpty(configured) ? $"{request.Scheme}://{request.Host}{request.PathBase}" : configured.TrimEnd('/');
        return $"{root}{InboundPath(source)}";
    }

    public string InboundPath(SourceRecord source) => $"/in/{sealer.Open(source.TokenSealed, SealedColumns.SourceToken.Context(source.Id))}";

    public string OpenSecret(SourceRecord source) => sealer.Open(source.SecretSealed, SealedColumns.SourceSecret.Context(source.Id));

    /// <summary>Tokens are looked up by their SHA-256, so the table never holds one in the clear.</summary>
    public static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Whether a path segment can be a token at all (43 base64url characters); anything else is not looked up.</summary>
    public static bool IsWellFormedToken(string? token) =>
        token is { Length: 43 } && token.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_');

    private static string? CheckSecret(Validation v, string field, string secret, InboundProvider? provider)
    {
        if (secret.Length is < MinSecretLength or > MaxSecretLength || !secret.All(c => c is >= '\x21' and <= '\x7e'))
            return Fail(v, field, $"must be {MinSecretLength}-{MaxSecretLength} visible ASCII characters (no spaces).");
        if (provider?.CheckSecret(secret) is { } why) return Fail(v, field, why);
        return secret;
    }

    private static string? Fail(Validation v, string field, string message)
    {
        v.Add(field, message);
        return null;
    }
}
