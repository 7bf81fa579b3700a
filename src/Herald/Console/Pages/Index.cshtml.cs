using Herald.Destinations;
using Herald.Destinations.Kinds;
using Microsoft.AspNetCore.Mvc;

namespace Herald.WebConsole.Pages;

public sealed class IndexModel(DestinationService destinations, DestinationKindRegistry kinds) : ConsolePage
{
    public IReadOnlyList<DestinationKind> Kinds => kinds.All;
    public string? Submitted { get; private set; }
    public string? Name { get; private set; }
    public string? EnteredUrl { get; private set; }
    public string? Events { get; private set; }
    public string? Categories { get; private set; }
    public IReadOnlyDictionary<string, string> Settings { get; private set; } = new Dictionary<string, string>();

    public string? SettingValue(string name) => Settings.GetValueOrDefault(name);

    public void OnGet() { }

    public IEnumerable<string> ErrorsStartingWith(string field) => ModelState
        .Where(e => e.Key.StartsWith(field, StringComparison.Ordinal))
        .SelectMany(e => e.Value!.Errors.Select(x => $"{e.Key}: {x.ErrorMessage}"));

    public async Task<IActionResult> OnPostInstallAsync(string? slug, string? name, string? url, string? events, string? categories, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        var kind = kinds.ByListingSlug(slug);
        if (kind is null) return NotFound();
        (Submitted, Name, EnteredUrl, Events, Categories) = (slug, name, url, events, categories);
        // The kind's settings as typed (fields named settings[name]); an empty field, or a choice left at its default, is not sent.
        Settings = Request.Form
            .Where(f => f.Key.StartsWith("settings[", StringComparison.Ordinal) && f.Key.EndsWith(']') && !string.IsNullOrWhiteSpace(f.Value))
            .ToDictionary(f => f.Key[9..^1], f => f.Value.ToString());
        var given = Settings.Where(s => kind.Settings.FirstOrDefault(k => k.Name == s.Key)?.Default != s.Value)
            .ToDictionary(s => s.Key, s => System.Text.Json.JsonSerializer.SerializeToElement(s.Value));

        var (destination, problem) = await destinations.CreateAsync(ProjectId, new DestinationInput
        {
            Kind = kind.Slug,
            PayloadStyle = PayloadStyles.Simple,
            Name = string.IsNullOrWhiteSpace(name) ? null : name,
            Url = url,
            Events = SplitList(events),
            Categories = SplitList(categories),
            Settings = given,
            Fields = FieldNames.Default with { Categories = "filters.categories" },
        }, ct);
        if (problem is not null)
        {
            ShowProblem(problem);
            return Page();
        }
        Flash($"Installed {destination!.Name}: delivering to {destination.DestinationHost} (fingerprint {destination.UrlFingerprint}).");
        if (kind.Signed) Reveal(destinations.OpenSigningSecret(destination), $"{destination.Name} ({destination.DestinationHost})");
        return SeeOther("/Connectors");
    }
}
