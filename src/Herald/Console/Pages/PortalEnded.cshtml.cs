using Herald.Common;
using Herald.Portal;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Herald.WebConsole.Pages;

/// <summary>Where a portal session lands when it ends (sign-out, expiry, or ended by the product): a way back, inside the frame if allowed.</summary>
public sealed class PortalEndedModel(PortalStore portal, TimeProvider time) : PageModel
{
    public PortalView? View { get; private set; }

    public async Task OnGetAsync(string? session, CancellationToken ct)
    {
        // Only a session that is over is described: a live one's id says nothing here.
        if (!Ids.IsWellFormed(session, "pts") || await portal.GetSessionAsync(session!, ct) is not { } found) return;
        if (found.EndedAt is null && found.ExpiresAt is { } until && until > time.NowMs()) return;
        var settings = await portal.GetSettingsAsync(found.ProjectId, ct);
        View = new PortalView(found.Id, found.Role, found.ReturnUrl, settings);
        PortalContext.Apply(HttpContext, settings, View);
    }
}
