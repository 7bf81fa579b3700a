namespace Herald.Destinations.Kinds;

/// <summary>
/// Where a broker kind sends a message, written once per destination: a RabbitMQ routing key or a NATS subject in which
/// <c>{type}</c> (the event type) and <c>{project_id}</c> are substituted for each message.
/// </summary>
public static class BrokerTemplate
{
    public const string TypePlaceholder = "{type}";
    public const string ProjectPlaceholder = "{project_id}";

    /// <summary>Null when the template uses no placeholder but these two (and no stray brace), otherwise what is wrong.</summary>
    public static string? Problem(string template) =>
        template.Replace(TypePlaceholder, "").Replace(ProjectPlaceholder, "").IndexOfAny(['{', '}']) >= 0
            ? $"may use only the placeholders {TypePlaceholder} and {ProjectPlaceholder}."
            : null;

    /// <summary>The template with the message's event type and the destination's project substituted.</summary>
    public static string Expand(string template, string type, string projectId) =>
        template.Replace(ProjectPlaceholder, projectId, StringComparison.Ordinal).Replace(TypePlaceholder, type, StringComparison.Ordinal);
}
