using Herald.Connectors;
using Herald.Destinations;
using Herald.Destinations.Kinds;
using Herald.Projects;

namespace Herald.Controls;

/// <summary>
/// The payload a destination is sent: its kind's own rendering, or, when the destination has a <c>template</c> control, the
/// template's (<see cref="MessageTemplate"/>). The send path and <c>POST /v1/destinations/{id}/preview</c> both render here, so
/// a preview is exactly what would be sent.
/// </summary>
public sealed class TemplatedPayloads(ControlsCache cache, ProjectStore projects)
{
    /// <summary>The payload to send (from the senders' cache of controls); an error when the template fails to render.</summary>
    public async Task<(RenderedPayload? Payload, string? Error)> ForSendAsync(DestinationKind kind, DestinationRecord d, Message message, CancellationToken ct) =>
        await RenderAsync(kind, d, message, (await cache.GetAsync(d.Id, ct))?.Template, ct);

    /// <summary>The payload with <paramref name="template"/> (null: the kind's own rendering).</summary>
    public async Task<(RenderedPayload? Payload, string? Error)> RenderAsync(DestinationKind kind, DestinationRecord d, Message message,
        MessageTemplate? template, CancellationToken ct)
    {
        if (template is null || MessageTemplate.TargetOf(kind.Slug) is not { } target) return (message.RenderFor(kind, d), null);
        var project = await projects.GetAsync(d.ProjectId, ct);
        return template.Render(target, message, project?.Name ?? "", d.Name);
    }
}
