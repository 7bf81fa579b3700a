using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace Herald.WebConsole.Pages;

public sealed class LogoutModel : ConsolePage
{
    public IActionResult OnGet() => LocalRedirect("/console");

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(ConsoleAuth.Scheme);
        return SeeOther("/Login");
    }
}
