using System.Net;
using Herald.Options;
using Microsoft.AspNetCore.HttpOverrides;

namespace Herald.Web;

/// <summary>
/// X-Forwarded-For and X-Forwarded-Proto are believed only from the proxies named in Herald:ForwardedHeaders (none by default,
/// not even loopback), so that behind a TLS-terminating proxy the request counts as https and the console's cookies are Secure.
/// </summary>
public static class ForwardedHeadersSetup
{
    public static IServiceCollection AddHeraldForwardedHeaders(this IServiceCollection services)
    {
        // Read from configuration, not the validated options: a bad value must reach the start-up message, not crash here.
        services.AddOptions<ForwardedHeadersOptions>().Configure<IConfiguration>((o, configuration) =>
        {
            var settings = configuration.GetSection($"{HeraldOptions.Section}:{nameof(HeraldOptions.ForwardedHeaders)}");
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var value in settings.GetSection(nameof(ForwardedHeadersSettings.KnownProxies)).GetChildren().Select(c => c.Value))
                if (IPAddress.TryParse(value, out var address)) o.KnownProxies.Add(address);
            foreach (var value in settings.GetSection(nameof(ForwardedHeadersSettings.KnownNetworks)).GetChildren().Select(c => c.Value))
                if (System.Net.IPNetwork.TryParse(value, out var network)) o.KnownIPNetworks.Add(network);
        });
        return services;
    }
}
