namespace Herald.Net;

/// <summary>Coarse results of one HTTP try. They never carry an address, a URL or an exception message.</summary>
public static class Outcomes
{
    public const string Timeout = "timeout";
    public const string ConnectError = "connect_error";
    /// <summary>The request could not be sent for a reason on Herald's side, not the receiver's (e.g. a header value the HTTP stack refused).</summary>
    public const string RequestError = "request_error";
    public const string DnsError = "dns_error";
    public const string TlsError = "tls_error";
    public const string RedirectRefused = "redirect_refused";
    public const string BlockedDestination = "blocked_destination";
    public const string ResponseTooLarge = "response_too_large";

    public static string Delivered(int status) => $"delivered_{status}";
    public static string Http(int status) => $"http_{status}";
}
