namespace Herald.Destinations;

/// <summary>What a surface asks for when it creates a destination; field names are those of the surface's own JSON.</summary>
public sealed record DestinationInput
{
    public required string Kind { get; init; }
    public required string Surface { get; init; }
    public string? Name { get; init; }
    public string? Url { get; init; }
    public string? Method { get; init; }
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
    public IReadOnlyList<string>? Events { get; init; }
    public IReadOnlyList<string>? Categories { get; init; }
    /// <summary>A caller-chosen whsec_ secret; generated for webhooks when absent.</summary>
    public string? SigningSecret { get; init; }
    /// <summary>Delivery controls (filter, retry schedule, time-out, rate limit, ordering); see Controls/.</summary>
    public Controls.ControlsChange? Controls { get; init; }
    public FieldNames Fields { get; init; } = FieldNames.Default;
}

/// <summary>How each surface names the fields, so a validation problem names the field the caller sent.</summary>
public sealed record FieldNames(string Name, string Url, string Method, string Headers, string Events, string Categories, string Secret)
{
    public static readonly FieldNames Default = new("name", "url", "method", "headers", "events", "categories", "secret");
}
