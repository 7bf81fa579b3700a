namespace Herald.Controls;

public static class ControlsServices
{
    public static IServiceCollection AddHeraldControls(this IServiceCollection services)
    {
        services.AddSingleton<ControlsStore>();
        services.AddSingleton<ControlsService>();
        services.AddSingleton<FanOutControls>();
        services.AddSingleton<ControlsCache>();
        services.AddSingleton<TemplatedPayloads>();
        // Rate slots: shared through the store on PostgreSQL (every node), in memory on SQLite (one node).
        services.AddSingleton<RateGate>(provider => provider.GetRequiredService<Storage.Db>().Kind == Storage.StoreKind.Postgres
            ? new StoreRateGate(provider.GetRequiredService<Storage.Db>(), provider.GetRequiredService<Storage.StoreClock>())
            : new MemoryRateGate(provider.GetRequiredService<Storage.StoreClock>()));
        return services;
    }
}
