using System.Security.Claims;
using Herald.Auth;
using Herald.Keys;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Herald.WebConsole;

/// <summary>What every console page knows: who is signed in, whether they may change things, and how to show API problems.</summary>
public abstract class ConsolePage : PageModel
{
    public Caller Caller => Caller.From(User);
    public string ProjectId => Caller.ProjectId!;
    public bool CanChange => Caller.Role == Roles.Admin;

    /// <summary>Set when signed in through a portal link (docs/portal.md): no API key behind the session, the host product's theme.</summary>
    public Herald.Portal.PortalView? Portal => Herald.Portal.PortalContext.View(HttpContext);

    [TempData] public string? Notice { get; set; }
    [TempData] public string? NoticeKind { get; set; }

    /// <summary>A one-time signing secret, carried across the redirect in the protected TempData cookie and shown once.</summary>
    [TempData] public string? RevealedSecret { get; set; }
    [TempData] public string? RevealedFor { get; set; }
    /// <summary>What the revealed secret is ("Signing secret" when unset).</summary>
    [TempData] public string? RevealedWhat { get; set; }

    /// <summary>Members see everything and change nothing: their posts are refused here as the API refuses them.</summary>
    protected IActionResult? RefuseMember(string? page = null)
    {
        if (CanChange) return null;
        Flash(Portal is null ? "Your key is a member key: it can look but not change anything." : "You have read-only access: you can look but not change anything.", "error");
        return SeeOther(page);
    }

    /// <summary>Post/Redirect/Get: 303 See Other to a page (this one by default), so reloading shows the result and repeats nothing.</summary>
    protected IActionResult SeeOther(string? page = null, object? values = null)
    {
        Response.Headers.Location = Url.Page(page ?? PageContext.ActionDescriptor.ViewEnginePath, values);
        return StatusCode(StatusCodes.Status303SeeOther);
    }

    protected void Reveal(string? secret, string forWhat, string? what = null)
    {
        if (secret is null) return;
        (RevealedSecret, RevealedFor, RevealedWhat) = (secret, forWhat, what);
    }

    protected void Flash(string message, string kind = "ok")
    {
        Notice = message;
        NoticeKind = kind;
    }

    /// <summary>Copies a problem's field errors into ModelState (under <paramref name="prefix"/>), so they show next to the fields.</summary>
    protected void ShowProblem(ProblemHttpResult problem, string prefix = "")
    {
        if (problem.ProblemDetails.Extensions.TryGetValue("errors", out var value) && value is IDictionary<string, string[]> errors)
        {
            foreach (var (field, messages) in errors)
                foreach (var message in messages) ModelState.AddModelError(prefix + field, message);
        }
        else
        {
            ModelState.AddModelError(prefix + "form", problem.ProblemDetails.Detail ?? problem.ProblemDetails.Title ?? "The request was refused.");
        }
    }

    public string? ErrorFor(string field) =>
        ModelState.TryGetValue(field, out var entry) && entry.Errors.Count > 0 ? string.Join(" ", entry.Errors.Select(e => e.ErrorMessage)) : null;

    protected static IReadOnlyList<string>? SplitList(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : text.Split([',', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
