using System.Net;
using System.Text.RegularExpressions;
using Dapper;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Observability;

/// <summary>The console's Health page over HTTP: the numbers for a known set of deliveries and attempts.</summary>
public sealed class HealthPageTests
{
    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task The_health_page_shows_counts_rates_durations_and_backlog_per_destination(string store)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        // No worker: the deliveries stay as this test writes them.
        var settings = HeraldFactory.ReceiverSettings(9, "steady.example", "flaky.example");
        settings["Herald:Delivery:Worker"] = "false";
        await using var herald = await HeraldFactory.CreateAsync(store, settings, services => services
            .AddSingleton<TimeProvider>(time).AddSingleton(Herald.Storage.StoreClock.Following(time)));
        var admin = herald.Admin();
        var ok = await admin.CreateDestinationAsync(new { kind = "webhook", name = "steady", url = "https://steady.example/hook", events = new[] { "db.*" } });
        var bad = await admin.CreateDestinationAsync(new { kind = "webhook", name = "flaky", url = "https://flaky.example/hook", events = new[] { "db.*" } });

        async Task<(List<string> Ok, List<string> Bad)> PublishAsync(int n)
        {
            var (okIds, badIds) = (new List<string>(), new List<string>());
            for (var i = 0; i < n; i++)
            {
                var e = await admin.PublishAsync("db.insert", new { i });
                okIds.Add((await admin.DeliveryOfAsync(e.Str("id"), ok)).Str("id"));
                badIds.Add((await admin.DeliveryOfAsync(e.Str("id"), bad)).Str("id"));
            }
            return (okIds, badIds);
        }

        var old = await PublishAsync(4);       // two hours ago
        time.Advance(TimeSpan.FromHours(2));
        var recent = await PublishAsync(3);    // in the last hour
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();

        var db = herald.Services.GetRequiredService<Herald.Storage.Db>();
        await using (var connection = await db.OpenAsync(CancellationToken.None))
        {
            var project = await connection.ExecuteScalarAsync<string>("SELECT project_id FROM deliveries WHERE id = @id", new { id = old.Ok[0] });
            async Task Set(string id, string status, int attempts) => await connection.ExecuteAsync(
                "UPDATE deliveries SET status = @status, attempts = @attempts, lease_owner = NULL WHERE id = @id", new { id, status, attempts });
            // steady: 24 h 3+2 delivered, 1 failed, 1 pending (never tried); last hour 2 delivered, 1 pending.
            foreach (var id in old.Ok.Take(3)) await Set(id, "delivered", 1);
            await Set(old.Ok[3], "failed", 2);
            foreach (var id in recent.Ok.Take(2)) await Set(id, "delivered", 1);
            await Set(recent.Ok[2], "pending", 0);
            // flaky: everything failed, but two recent ones are retrying.
            foreach (var id in old.Bad) await Set(id, "failed", 2);
            await Set(recent.Bad[0], "failed", 2);
            foreach (var id in recent.Bad.Skip(1)) await Set(id, "pending", 1);
            await connection.ExecuteAsync("UPDATE destinations SET last_delivery_status = 'http_500' WHERE id = @bad", new { bad });

            // steady's attempts in the last 24 h took 10, 20, … 100 ms (7 delivered, 3 failed); one older than a day is left out.
            for (var n = 1; n <= 10; n++)
                await connection.ExecuteAsync("""
                    INSERT INTO attempts (delivery_id, number, project_id, destination_id, started_at, duration_ms, status_code, outcome)
                    VALUES (@delivery, @n, @project, @ok, @at, @ms, @code, @outcome)
                    """, new
                    {
                        delivery = old.Ok[0], n, project, ok, at = now - 30 * 60_000, ms = n * 10,
                        code = n <= 7 ? 200 : 500, outcome = n <= 7 ? "delivered_200" : "http_500",
                    });
            await connection.ExecuteAsync("""
                INSERT INTO attempts (delivery_id, number, project_id, destination_id, started_at, duration_ms, status_code, outcome)
                VALUES (@delivery, 11, @project, @ok, @at, 9999, 200, 'delivered_200')
                """, new { delivery = old.Ok[1], project, ok, at = now - 25 * 3_600_000L });
        }

        var console = await ConsoleClient.SignInAsync(herald, HeraldFactory.AdminKey);
        var html = await console.PageAsync("/console/health");

        Assert.Equal("3", Cell(html, ok, "hour"));
        Assert.Equal("100 %", Cell(html, ok, "hour-rate"));
        Assert.Equal("7", Cell(html, ok, "day"));
        Assert.Equal("83.3 %", Cell(html, ok, "day-rate"));
        Assert.Equal("50 ms / 100 ms", Cell(html, ok, "durations"));
        Assert.Equal("1", Cell(html, ok, "pending"));
        Assert.Equal("0", Cell(html, ok, "retrying"));

        Assert.Equal("3", Cell(html, bad, "hour"));
        Assert.Equal("0 %", Cell(html, bad, "hour-rate"));
        Assert.Equal("7", Cell(html, bad, "day"));
        Assert.Equal("0 %", Cell(html, bad, "day-rate"));
        Assert.Equal("— / —", Cell(html, bad, "durations"));
        Assert.Equal("0", Cell(html, bad, "pending"));
        Assert.Equal("2", Cell(html, bad, "retrying"));
        Assert.Equal("http_500", Cell(html, bad, "last-outcome"));

        Assert.Contains("7 delivered and 3 failed attempts in the last 24 hours", WebUtility.HtmlDecode(html));
        Assert.Contains("href=\"/console/health\" aria-current=\"page\"", html);
    }

    /// <summary>The text of a destination row's cell marked data-<paramref name="name"/>.</summary>
    private static string Cell(string html, string destinationId, string name)
    {
        var start = html.IndexOf($"data-health=\"{destinationId}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no row for {destinationId}");
        var row = html[start..html.IndexOf("</tr>", start, StringComparison.Ordinal)];
        var match = Regex.Match(row, $"data-{Regex.Escape(name)}>([^<]*)<");
        Assert.True(match.Success, $"no {name} cell");
        return WebUtility.HtmlDecode(match.Groups[1].Value).Trim();
    }
}
