using Herald.Portal;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Herald.WebConsole.Pages;

/// <summary>
/// /console/portal?token=…: exchanges a portal link's single-use token for the console's session cookie, then sends the browser
/// to a clean address (303), so the token stays in neither history nor referrers. A used, expired, ended or unknown link is refused.
/// </summary>
public sealed class PortalModel(PortalStore portal) : PageModel
{
    public string Reason { get; private set; } = "";
    public string Message { get; private set; } = "";
    public PortalView? View { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? token, CancellationToken ct)
    {
        var (session, refusal) = string.IsNullOrWhiteSpace(token) || token.Length > 200
            ? (null, OpenRefusal.Unknown)
            : await portal.OpenAsync(token.Trim(), ct);
        if (session is not null)
        {
            // A refusal is shown inside the host product's frame too (when it may frame the portal), with its way back.
            var settings = await portal.GetSettingsAsync(session.ProjectId, ct);
            View = new PortalView(session.Id, session.Role, session.ReturnUrl, settings);
            PortalContext.Apply(HttpContext, settings, View);
            if (refusal == OpenRefusal.None)
            {
                await ConsoleAuth.SignInPortalAsync(HttpContext, session, framed: settings.AllowedOrigins.Count > 0);
                Response.Headers.Location = "/console";
                return StatusCode(StatusCodes.Status303SeeOther);
            }
        }
        (Reason, Message) = refusal switch
        {
            OpenRefusal.Used => ("used", "This link was already opened. Each link signs in once."),
            OpenRefusal.Expired => ("expired", "This link has expired."),
            OpenRefusal.Ended => ("ended", "This link was withdrawn."),
            _ => ("unknown", "This link is not valid."),
        };
        Response.StatusCode = refusal == OpenRefusal.Unknown ? StatusCodes.Status404NotFound : StatusCodes.Status410Gone;
        return Page();
    }
}
