using Herald.Common;
using Herald.Destinations;
using Herald.Options;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Herald.WebConsole.Pages;

public sealed class WebhooksModel(DestinationStore store, DestinationService destinations, IOptions<HeraldOptions> options) : ConsolePage
{
    public IReadOnlyList<DestinationRecord> Webhooks { get; private set; } = [];
    public string? EndpointUrl { get; private set; }
    public string? Events { get; private set; }
    public string? RevealedSecret { get; private set; }
    public string? RevealedFor { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostCreateAsync(string? url, string? events, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        (EndpointUrl, Events) = (url, events);
        var (created, problem) = await destinations.CreateAsync(ProjectId, new DestinationInput
        {
            Kind = DestinationKinds.Webhook,
            Surface = "integrations",
            Url = url,
            Events = SplitList(events),
        }, ct);
        if (problem is not null) ShowProblem(problem);
        else (RevealedSecret, RevealedFor, EndpointUrl, Events) = (destinations.OpenSigningSecret(created!), created!.DestinationHost, null, null);
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostRotateAsync(string id, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        var webhook = Guid.TryParse(id, out _) ? await store.GetAsync(ProjectId, id, ct) : null;
        if (webhook is not { Kind: DestinationKinds.Webhook }) return NotFound();
        var (secret, until, _) = await destinations.RotateSecretAsync(webhook, null, options.Value.Delivery.SecretRotationOverlap, ct);
        (RevealedSecret, RevealedFor) = (secret, webhook.DestinationHost);
        if (until is not null) Flash($"The previous secret keeps signing until {until:yyyy-MM-dd HH:mm} UTC.");
        await LoadAsync(ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct) =>
        Webhooks = (await store.ListAsync(ProjectId, DestinationKinds.Webhook, null, Cursor.MaxLimit, ct)).Data;
}
