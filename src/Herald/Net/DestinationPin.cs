using System.Text.RegularExpressions;

namespace Herald.Net;

/// <summary>The hosts and path shape a managed connector's URL must have (e.g. Slack: hooks.slack.com/services/...); each kind defines its own.</summary>
public sealed record DestinationPin(string[] Hosts, string[] HostSuffixes, Regex Path, string Expectation)
{
    public bool Matches(string host, Uri uri) =>
        uri.Scheme == Uri.UriSchemeHttps
        && uri.IsDefaultPort
        && (Hosts.Contains(host) || HostSuffixes.Any(s => host.EndsWith(s, StringComparison.Ordinal) && host.Length > s.Length))
        && Path.IsMatch(uri.AbsolutePath);
}
