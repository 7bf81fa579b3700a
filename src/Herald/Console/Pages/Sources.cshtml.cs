using Herald.Common;
using Herald.Sources;

namespace Herald.WebConsole.Pages;

/// <summary>The project's inbound sources: where each provider posts, when it last did, and whether that verified.</summary>
public sealed class SourcesModel(SourceStore store, SourceService service, SourceProviders providers) : ConsolePage
{
    public sealed record Row(SourceRecord Source, string ProviderName, string InboundUrl, string EventNamespace);

    public IReadOnlyList<Row> Sources { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) =>
        Sources = (await store.ListAsync(ProjectId, null, Cursor.MaxLimit, ct)).Data
            .Select(s => new Row(s, providers.Find(s.Kind)?.Name ?? s.Kind, service.InboundUrl(s, Request), providers.Find(s.Kind)?.Namespace ?? s.Kind))
            .ToList();

    public static string When(long? ms) => ms is null ? "never" : $"{Clock.FromMs(ms.Value):yyyy-MM-dd HH:mm:ss} UTC";

    public static string ResultCss(string? result) => result switch
    {
        null => "",
        SourceFailures.Verified => "ok",
        _ => "bad",
    };
}
