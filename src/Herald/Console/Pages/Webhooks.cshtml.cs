using Herald.Common;
using Herald.Destinations;
using Herald.Destinations.Kinds.Webhook;
using Herald.Options;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Herald.WebConsole.Pages;

public sealed class WebhooksModel(DestinationStore store, DestinationService destinations, DestinationTester tester, IOptions<HeraldOptions> options)
    : DestinationsPage(store, destinations, tester)
{
    public IReadOnlyList<DestinationRecord> Webhooks { get; private set; } = [];
    public string? WebhookName { get; private set; }
    public string? EndpointUrl { get; private set; }
    public string? Events { get; private set; }
    public TimeSpan RotationOverlap => options.Value.Delivery.SecretRotationOverlap;

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostCreateAsync(string? name, string? url, string? events, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        var (created, problem) = await Service.CreateAsync(ProjectId, new DestinationInput
        {
            Kind = WebhookKind.Kind,
            UrlVisibleToOwner = true,
            Name = string.IsNullOrWhiteSpace(name) ? null : name,
            Url = url,
            Events = SplitList(events),
        }, ct);
        if (problem is not null)
        {
            // A refused form is shown again with what was typed; nothing was created, so a reload repeats nothing.
            (WebhookName, EndpointUrl, Events) = (name, url, events);
            ShowProblem(problem);
            await LoadAsync(ct);
            return Page();
        }
        Flash($"Registered {created!.Name}: delivering to {created.DestinationHost}.");
        Reveal(Service.OpenSigningSecret(created), $"{created.Name} ({created.DestinationHost})");
        return SeeOther();
    }

    public async Task<IActionResult> OnPostRotateAsync(string id, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        if (await Find(id, ct) is not { Kind: WebhookKind.Kind } webhook) return NotFound();
        var (secret, until, _) = await Service.RotateSecretAsync(webhook, null, RotationOverlap, ct);
        Flash(until is null ? $"Rotated the secret of {webhook.Name}." : $"Rotated the secret of {webhook.Name}. The previous secret keeps signing until {until:yyyy-MM-dd HH:mm} UTC.");
        Reveal(secret, $"{webhook.Name} ({webhook.DestinationHost})");
        return SeeOther();
    }

    private async Task LoadAsync(CancellationToken ct) =>
        Webhooks = (await Store.ListAsync(ProjectId, WebhookKind.Kind, null, Cursor.MaxLimit, ct)).Data;
}
