using System.Text.Json.Nodes;

namespace Herald.Connectors;

/// <summary>Herald's own payload, shared by the kinds that send it (custom webhooks, brokers): the envelope.</summary>
public static class PayloadRenderer
{
    public const string Source = "herald";

    /// <summary>The stable envelope of custom webhooks: {source, type, title, body, data} plus id and time.</summary>
    public static JsonObject Envelope(Message m) => new()
    {
        ["source"] = Source,
        ["type"] = m.Type,
        ["title"] = m.Title,
        ["body"] = m.Body,
        ["data"] = m.Data.DeepClone(),
        ["id"] = m.EventId,
        ["occurred_at"] = m.OccurredAt.UtcDateTime.ToString("O"),
    };
}
