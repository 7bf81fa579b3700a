using Herald.Common;
using Herald.Errors;
using Herald.Keys;
using Herald.Projects;
using Microsoft.AspNetCore.Mvc;

namespace Herald.WebConsole.Pages;

/// <summary>
/// A project's API keys, for an admin key's session or an admin portal session: create (the secret shown once), list, revoke.
/// The same checks as POST /v1/projects/{id}/keys. Members do not see this page.
/// </summary>
public sealed class KeysModel(KeyStore keys) : ConsolePage
{
    [BindProperty(SupportsGet = true)] public string? Cursor { get; set; }
    public IReadOnlyList<ApiKeyRecord> Keys { get; private set; } = [];
    public string? NextCursor { get; private set; }
    public string? KeyName { get; private set; }
    public string? KeyRole { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (RefuseMember("/Index") is { } refused) return refused;
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostCreateAsync(string? name, string? role, CancellationToken ct)
    {
        if (RefuseMember("/Index") is { } refused) return refused;
        var v = new Validation();
        var checkedName = v.Required("name", name, ProjectsApi.MaxNameLength);
        var checkedRole = role?.Trim().ToLowerInvariant() ?? Roles.Member;
        if (!Roles.ProjectRoles.Contains(checkedRole)) v.Add("role", $"must be one of: {string.Join(", ", Roles.ProjectRoles)}.");
        if (!v.IsValid)
        {
            (KeyName, KeyRole) = (name, role);
            ShowProblem(v.Problem());
            await LoadAsync(ct);
            return Page();
        }
        var (key, secret) = await keys.CreateAsync(ProjectId, checkedRole, checkedName!, ct: ct);
        Flash($"Created the {key.Role} key {key.Name}.");
        Reveal(secret, $"{key.Name} ({key.Role})", "API key");
        return SeeOther();
    }

    public async Task<IActionResult> OnPostRevokeAsync(string? id, CancellationToken ct)
    {
        if (RefuseMember("/Index") is { } refused) return refused;
        if (!Ids.IsWellFormed(id, "key") || id == Caller.KeyId || await keys.GetAsync(ProjectId, id!, ct) is not { } key) return NotFound();
        await keys.RevokeAsync(ProjectId, key.Id, ct);
        Flash($"Revoked the key {key.Name}.");
        return SeeOther();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var page = await keys.ListAsync(ProjectId, Common.Cursor.TryDecode(Cursor, out _, out _) ? Cursor : null, Limits.Clamp(null), ct);
        (Keys, NextCursor) = (page.Data, page.NextCursor);
    }
}
