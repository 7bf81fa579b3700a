using Herald.Keys;
using Microsoft.AspNetCore.Mvc;

namespace Herald.WebConsole.Pages;

public sealed class LoginModel(KeyStore keys) : ConsolePage
{
    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(string? key, CancellationToken ct)
    {
        var found = string.IsNullOrWhiteSpace(key) || key.Length > 200 ? null : await keys.FindActiveAsync(key.Trim(), ct);
        if (found is null)
        {
            ModelState.AddModelError("key", "That key is not valid, or it was revoked.");
            return Page();
        }
        if (found.ProjectId is null)
        {
            ModelState.AddModelError("key", "The operator key belongs to no project: sign in with an admin or member key of a project.");
            return Page();
        }
        await ConsoleAuth.SignInAsync(HttpContext, found);
        return SeeOther("/Index");
    }
}
