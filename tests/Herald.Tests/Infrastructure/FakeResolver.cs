using System.Net;
using System.Net.Sockets;
using Herald.Net;
using Herald.Options;
using Microsoft.Extensions.Options;

namespace Herald.Tests.Infrastructure;

/// <summary>DNS answers the test controls (and may change between install and send, as a rebinding attacker would).</summary>
public sealed class FakeResolver(IOptions<HeraldOptions> options) : HostResolver(options)
{
    public Dictionary<string, IPAddress[]> Answers { get; } = new(StringComparer.OrdinalIgnoreCase);

    protected override Task<IPAddress[]> LookupAsync(string host, CancellationToken ct) =>
        Answers.TryGetValue(host, out var addresses)
            ? Task.FromResult(addresses)
            : Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
}
