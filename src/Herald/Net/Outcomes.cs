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

    /// <summary>RabbitMQ confirmed the message (a publisher confirm).</summary>
    public const string BrokerConfirmed = "delivered_confirmed";
    /// <summary>A JetStream stream acknowledged the message (stored, or a repeat of one it stored).</summary>
    public const string BrokerAcknowledged = "delivered_ack";
    /// <summary>The broker refused the credentials, or the user may not use the virtual host, exchange or subject.</summary>
    public const string AuthError = "auth_error";
    /// <summary>The broker had nowhere to put the message: returned as unroutable, no such exchange, or no stream for the subject.</summary>
    public const string Unroutable = "unroutable";
    /// <summary>The broker refused the message (a negative publisher confirm, e.g. a full queue that rejects publishes).</summary>
    public const string Nack = "nack";

    public static string Delivered(int status) => $"delivered_{status}";
    public static string Http(int status) => $"http_{status}";
}
