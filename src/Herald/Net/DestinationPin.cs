using System.Text.RegularExpressions;

namespace Herald.Net;

/// <summary>The hosts and path shape a managed connector's URL must have (e.g. Slack: hooks.slack.com/services/...).</summary>
public sealed record DestinationPin(string[] Hosts, string[] HostSuffixes, Regex Path, string Expectation)
{
    public bool Matches(string host, Uri uri) =>
        uri.Scheme == Uri.UriSchemeHttps
        && uri.IsDefaultPort
        && (Hosts.Contains(host) || HostSuffixes.Any(s => host.EndsWith(s, StringComparison.Ordinal) && host.Length > s.Length))
        && Path.IsMatch(uri.AbsolutePath);

    public static readonly DestinationPin Slack = new(["hooks.slack.com"], [],
        new Regex("^/(services|triggers|workflows)/[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+){1,3}$", RegexOptions.Compiled),
        "must be a Slack incoming-webhook URL: https://hooks.slack.com/services/...");

    public static readonly DestinationPin Discord = new(["discord.com", "discordapp.com", "canary.discord.com", "ptb.discord.com"], [],
        new Regex(@"^/api/(v\d+/)?webhooks/\d+/[A-Za-z0-9_-]+/?$", RegexOptions.Compiled),
        "must be a Discord webhook URL: https://discord.com/api/webhooks/{id}/{token}");

    public static readonly DestinationPin Teams = new([], [".logic.azure.com", ".powerplatform.com", ".webhook.office.com"],
        new Regex("^/(workflows|powerautomate|webhookb2)/.+$", RegexOptions.Compiled),
        "must be a Microsoft Teams Workflows URL on *.logic.azure.com, *.powerplatform.com or *.webhook.office.com");

    public static readonly DestinationPin Zapier = new(["hooks.zapier.com"], [],
        new Regex(@"^/hooks/catch/\d+/[A-Za-z0-9]+/?$", RegexOptions.Compiled),
        "must be a Zapier catch-hook URL: https://hooks.zapier.com/hooks/catch/{account}/{hook}/");
}
