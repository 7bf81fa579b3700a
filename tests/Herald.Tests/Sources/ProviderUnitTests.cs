using System.Text;
using System.Text.Json.Nodes;
using Herald.Sources;
using Herald.Sources.GitHub;
using Herald.Sources.Shopify;
using Herald.Sources.StandardWebhooks;
using Microsoft.AspNetCore.Http;

namespace Herald.Tests.Sources;

/// <summary>The providers' pure parts: where each finds its event type and id, and what a signature header must look like.</summary>
public sealed class ProviderUnitTests
{
    private static InboundRequest Request(string body, params (string Name, string Value)[] headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers) dictionary[name] = value;
        return new InboundRequest(dictionary, Encoding.UTF8.GetBytes(body), DateTimeOffset.UtcNow);
    }

    [Fact]
    public void GitHub_types_are_the_event_header_and_the_payloads_action_when_it_has_one()
    {
        var github = new GitHubProvider();
        Assert.Equal("push", github.EventType(Request("{}", ("X-GitHub-Event", "push")), new JsonObject { ["ref"] = "refs/heads/main" }));
        Assert.Equal("pull_request.closed", github.EventType(Request("{}", ("X-GitHub-Event", "pull_request")), new JsonObject { ["action"] = "closed" }));
        Assert.Null(github.EventType(Request("{}"), new JsonObject { ["action"] = "closed" }));
        Assert.Equal("d-1", github.EventId(Request("{}", ("X-GitHub-Delivery", "d-1")), []));
    }

    [Theory]
    [InlineData(null, "missing_signature")]
    [InlineData("sha1=0000", "bad_signature")]
    [InlineData("sha256=not-hex", "bad_signature")]
    [InlineData("sha256=", "bad_signature")]
    public void A_github_signature_header_that_is_not_sha256_hex_is_refused(string? header, string failure)
    {
        var request = header is null ? Request("{}") : Request("{}", ("X-Hub-Signature-256", header));
        Assert.Equal(failure, new GitHubProvider().Verify(request, "secret-123", TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void Shopify_topics_use_dots_and_a_signature_that_is_not_base64_is_refused()
    {
        var shopify = new ShopifyProvider();
        Assert.Equal("orders.create", shopify.EventType(Request("{}", ("X-Shopify-Topic", "orders/create")), []));
        Assert.Equal("bad_signature", shopify.Verify(Request("{}", ("X-Shopify-Hmac-Sha256", "%%%")), "secret-123", TimeSpan.FromMinutes(5)));
        Assert.Equal("missing_signature", shopify.Verify(Request("{}"), "secret-123", TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void Standard_webhooks_needs_all_three_headers()
    {
        var sw = new StandardWebhooksProvider();
        const string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        Assert.Equal("missing_signature", sw.Verify(Request("{}", ("webhook-id", "m1"), ("webhook-timestamp", "1")), secret, TimeSpan.FromMinutes(5)));
        Assert.Equal("bad_signature", sw.Verify(Request("{}", ("webhook-id", "m1"), ("webhook-timestamp", "1"), ("webhook-signature", "v1,AAAA v2,BBBB")),
            secret, TimeSpan.FromMinutes(5)));
        Assert.Null(sw.CheckSecret(secret));
        Assert.NotNull(sw.CheckSecret("whsec_c2hvcnQ=")); // 5 bytes
    }
}
