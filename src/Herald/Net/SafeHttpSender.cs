using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Herald.Options;
using Microsoft.Extensions.Options;

namespace Herald.Net;

/// <summary>
/// The one way Herald sends HTTP to a destination (deliveries and test sends alike). The connect callback resolves the host
/// itself and connects only to an address the network rules allow, so DNS rebinding after install does not get through;
/// redirects are not followed; time and response size are bounded; results are coarse outcomes.
/// </summary>
public sealed class SafeHttpSender(IHttpClientFactory clients, IOptions<HeraldOptions> options, TimeProvider time, ILogger<SafeHttpSender> logger)
{
    public const string ClientName = "herald-delivery";

    public async Task<SendResult> SendAsync(HttpMethod method, Uri url, byte[] body, string contentType,
        IEnumerable<KeyValuePair<string, string>> headers, CancellationToken ct, TimeSpan? timeLimit = null)
    {
        var delivery = options.Value.Delivery;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(timeLimit ?? delivery.Timeout); // a destination's own timeout control, else Herald:Delivery:Timeout
        var started = time.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(method, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType) { CharSet = "utf-8" };
            foreach (var (name, value) in headers)
                if (!request.Headers.TryAddWithoutValidation(name, value)) request.Content.Headers.TryAddWithoutValidation(name, value);

            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            var text = await ReadCappedAsync(response, delivery.MaxResponseBodyBytes, timeout.Token);
            var outcome = status switch
            {
                >= 200 and < 300 => Outcomes.Delivered(status),
                >= 300 and < 400 => Outcomes.RedirectRefused,
                _ => Outcomes.Http(status),
            };
            return new SendResult(outcome, status, time.GetElapsedTime(started), text, RetryAfter(response)) { ResponseHeaders = HeaderLines(response) };
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new SendResult(Outcomes.Timeout, null, time.GetElapsedTime(started), null, null);
        }
        catch (HttpRequestException e)
        {
            return new SendResult(Classify(e), null, time.GetElapsedTime(started), null, null);
        }
        catch (IOException)
        {
            // The connection broke while the response body was being read.
            return new SendResult(Outcomes.ConnectError, null, time.GetElapsedTime(started), null, null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not the receiver's doing: never reported as a connection failure. The message could carry the URL; only the type is logged.
            logger.LogWarning("A send failed before reaching the destination ({Error}).", e.GetType().Name);
            return new SendResult(Outcomes.RequestError, null, time.GetElapsedTime(started), null, null);
        }
    }

    /// <summary>Maps a transport failure to a coarse outcome by its cause, never by its message.</summary>
    internal static string Classify(HttpRequestException e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case BlockedDestinationException: return Outcomes.BlockedDestination;
                case AuthenticationException: return Outcomes.TlsError;
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain }: return Outcomes.DnsError;
                case TimeoutException: return Outcomes.Timeout;
                case SocketException or IOException: return Outcomes.ConnectError;
            }
        }
        return e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => Outcomes.DnsError,
            HttpRequestError.SecureConnectionError => Outcomes.TlsError,
            HttpRequestError.ConfigurationLimitExceeded => Outcomes.ResponseTooLarge,
            // The receiver refused, dropped or garbled the connection.
            HttpRequestError.ConnectionError or HttpRequestError.ResponseEnded or HttpRequestError.HttpProtocolError
                or HttpRequestError.InvalidResponse or HttpRequestError.VersionNegotiationError => Outcomes.ConnectError,
            // Anything else failed on Herald's side of the request (e.g. a header the HTTP stack refused).
            _ => Outcomes.RequestError,
        };
    }

    private static async Task<string?> ReadCappedAsync(HttpResponseMessage response, int limit, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(limit);
        try
        {
            var read = 0;
            while (read < limit)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read, limit - read), ct);
                if (n == 0) break;
                read += n;
            }
            // The rest of a larger body is never read: disposing the response drops the connection.
            // NUL cannot be stored in PostgreSQL text.
            return read == 0 ? null : Encoding.UTF8.GetString(buffer, 0, read).Replace('\0', '\uFFFD');
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public const int MaxResponseHeaderChars = 4096;

    /// <summary>The response's headers for the attempt inspector, capped; cookies the receiver sets are not kept.</summary>
    internal static string HeaderLines(HttpResponseMessage response)
    {
        var text = new StringBuilder();
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            var value = name.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase) ? "(withheld)" : string.Join(", ", values);
            text.Append(name).Append(": ").Append(value).Append('\n');
            if (text.Length >= MaxResponseHeaderChars) break;
        }
        var lines = text.Length > MaxResponseHeaderChars ? text.ToString(0, MaxResponseHeaderChars) : text.ToString();
        return lines.Replace('\0', '\uFFFD');
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        return null;
    }
}
