namespace Herald.Tests.Infrastructure;

public static class Eventually
{
    /// <summary>Polls <paramref name="check"/> until it returns true, or fails after <paramref name="timeout"/> with <paramref name="what"/>.</summary>
    public static async Task TrueAsync(Func<Task<bool>> check, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            if (await check()) return;
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out waiting for: {what}");
            await Task.Delay(25);
        }
    }
}
