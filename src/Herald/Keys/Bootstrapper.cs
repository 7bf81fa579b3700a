using System.Text;
using Herald.Common;
using Herald.Options;
using Herald.Projects;
using Herald.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Herald.Keys;

/// <summary>
/// On first start with an empty database: creates project "default", an admin key and an operator key.
/// Keys come from Herald:Bootstrap:* when set; generated ones are written to a 0600 file in the data directory
/// and only that file's path is logged.
/// </summary>
public sealed class Bootstrapper(Db db, ProjectStore projects, KeyStore keys, IOptions<HeraldOptions> options,
    TimeProvider time, ILogger<Bootstrapper> logger)
{
    public const string KeysFileName = "bootstrap-keys.env";

    public string KeysFilePath => Path.Combine(options.Value.DataDirectory, KeysFileName);

    /// <summary>Returns true when it created the initial project and keys.</summary>
    public async Task<bool> RunAsync(CancellationToken ct = default)
    {
        var o = options.Value.Bootstrap;
        await using var connection = await db.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (connection is NpgsqlConnection)
        {
            // Several nodes may start together on one empty database: only one bootstraps.
            await using var lockCommand = connection.CreateCommand();
            lockCommand.Transaction = tx;
            lockCommand.CommandText = "LOCK TABLE projects IN EXCLUSIVE MODE";
            await lockCommand.ExecuteNonQueryAsync(ct);
        }

        if (await projects.CountAsync(connection, tx, ct) > 0 || await keys.CountAsync(connection, tx, ct) > 0)
            return false;

        var project = await projects.CreateAsync("default", options.Value.Bootstrap.Plan, null, connection, tx, ct);
        var (_, adminSecret) = await keys.CreateAsync(project.Id, Roles.Admin, "bootstrap admin",
            NullIfEmpty(o.AdminKey), connection, tx, ct);
        var (_, operatorSecret) = await keys.CreateAsync(null, Roles.Operator, "bootstrap operator",
            NullIfEmpty(o.OperatorKey), connection, tx, ct);

        var generated = new StringBuilder();
        if (NullIfEmpty(o.AdminKey) is null) generated.AppendLine($"export HERALD_ADMIN_KEY={adminSecret}");
        if (NullIfEmpty(o.OperatorKey) is null) generated.AppendLine($"export HERALD_OPERATOR_KEY={operatorSecret}");
        if (generated.Length > 0) WriteKeysFile(project.Id, generated.ToString());

        await tx.CommitAsync(ct);

        if (generated.Length > 0)
            logger.LogWarning("Created project {ProjectId} with new API keys. The keys are in {KeysFile} (readable by this user only); store them safely and delete the file.",
                project.Id, Path.GetFullPath(KeysFilePath));
        else
            logger.LogInformation("Created project {ProjectId} with the API keys given in Herald:Bootstrap.", project.Id);
        return true;
    }

    private void WriteKeysFile(string projectId, string keyLines)
    {
        PrivateFile.EnsureDirectory(options.Value.DataDirectory);
        var content = $"""
            # Herald bootstrap keys, created {time.GetUtcNow():u}. They are shown only here: store them safely, then delete this file.
            # `source` this file in a POSIX shell: the exports reach the commands the shell starts.
            export HERALD_PROJECT_ID={projectId}
            {keyLines}
            """;
        PrivateFile.Write(KeysFilePath, content);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
