using Herald.Portal;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace Herald.WebConsole.Pages;

public sealed class LogoutModel(PortalStore portal) : ConsolePage
{
    public IActionResult OnGet() => LocalRedirect("/console");

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        // A portal session ends for good when its user signs out: its cookie could not be used again even if kept.
        var portalSession = Portal?.SessionId;
        if (portalSession is not null) await portal.EndAsync(portalSession, ct);
        await HttpContext.SignOutAsync(ConsoleAuth.Scheme);
        if (portalSession is null) return SeeOther("/Login");
        Response.Headers.Location = "/console/portal/ended?session=" + Uri.EscapeDataString(portalSession);
        return StatusCode(StatusCodes.Status303SeeOther);
    }
}
