using System.Text.Json.Nodes;

namespace Herald.Sources.GitHub;

/// <summary>
/// GitHub webhooks: <c>X-Hub-Signature-256: sha256=&lt;hex&gt;</c>, the HMAC-SHA256 of the raw body keyed with the webhook's secret;
/// <c>X-GitHub-Delivery</c> identifies the delivery; the type is <c>X-GitHub-Event</c> and, when the payload has one, its
/// <c>action</c> (github.push, github.pull_request.opened). GitHub signs no timestamp. Choose content type application/json.
/// </summary>
public sealed class GitHubProvider : InboundProvider
{
    public override string Kind => "github";
    public override string Name => "GitHub";
    public override string Description => "Receive GitHub repository and organization webhooks (pushes, pull requests, issues, releases) as events.";
    public override string Category => "developer-tools";

    public override IReadOnlyList<(string Type, string Description)> KnownEvents { get; } =
    [
        ("ping", "GitHub: the webhook was created (a ping)."),
        ("push", "GitHub: commits were pushed."),
        ("pull_request.opened", "GitHub: a pull request was opened."),
        ("pull_request.closed", "GitHub: a pull request was closed or merged."),
        ("pull_request.reopened", "GitHub: a pull request was reopened."),
        ("pull_request.synchronize", "GitHub: a pull request's branch was updated."),
        ("issues.opened", "GitHub: an issue was opened."),
        ("issues.closed", "GitHub: an issue was closed."),
        ("issue_comment.created", "GitHub: an issue or pull request was commented on."),
        ("release.published", "GitHub: a release was published."),
        ("workflow_run.completed", "GitHub: an Actions workflow run completed."),
    ];

    public override string? Verify(InboundRequest request, string secret, TimeSpan tolerance)
    {
        var header = Header(request, "X-Hub-Signature-256");
        if (header is null) return SourceFailures.MissingSignature;
        if (!header.StartsWith("sha256=", StringComparison.Ordinal)) return SourceFailures.BadSignature;
        return HexEquals(header["sha256=".Length..], HmacSha256(secret, request.Body)) ? null : SourceFailures.BadSignature;
    }

    public override string? EventId(InboundRequest request, JsonObject payload) => Header(request, "X-GitHub-Delivery");

    public override string? EventType(InboundRequest request, JsonObject payload) =>
        Header(request, "X-GitHub-Event") is not { } name ? null : Text(payload, "action") is { } action ? $"{name}.{action}" : name;
}
