namespace Herald.Destinations;

/// <summary>What a surface asks for when it creates a destination; field names are those of the surface's own JSON.</summary>
public sealed record DestinationInput
{
    public required string Kind { get; init; }
    /// <summary>Simple (marketplace installs: seed 000's plain formats) or rich.</summary>
    public string PayloadStyle { get; init; } = Kinds.PayloadStyles.Rich;
    /// <summary>Whether admins may see the URL again (seed 002's webhooks); false everywhere else.</summary>
    public bool UrlVisibleToOwner { get; init; }
    /// <summary>The seed 002 provider slot the destination fills, or null.</summary>
    public string? ProviderSlot { get; init; }
    public string? Name { get; init; }
    public string? Url { get; init; }
    public string? Method { get; init; }
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
    public IReadOnlyList<string>? Events { get; init; }
    public IReadOnlyList<string>? Categories { get; init; }
    /// <summary>A caller-chosen whsec_ secret; generated for webhooks when absent.</summary>
    public string? SigningSecret { get; init; }
    /// <summary>Kind-specific settings as sent (e.g. "format", "exchange"); a name the kind does not know is an unknown field.</summary>
    public IReadOnlyDictionary<string, System.Text.Json.JsonElement>? Settings { get; init; }
    /// <summary>Delivery controls (filter, retry schedule, time-out, rate limit, ordering); see Controls/.</summary>
    public Controls.ControlsChange? Controls { get; init; }
    public FieldNames Fields { get; init; } = FieldNames.Default;
}

/// <summary>How each surface names the fields, so a validation problem names the field the caller sent.</summary>
public sealed record FieldNames(string Name, string Url, string Method, string Headers, string Events, string Categories, string Secret)
{
    public static readonly FieldNames Default = new("name", "url", "method", "headers", "events", "categories", "secret");

    /// <summary>What goes before a setting's name in a problem's field: "" (top level) or e.g. "config.".</summary>
    public string SettingsPrefix { get; init; } = "";
}
