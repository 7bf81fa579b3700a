namespace Herald.Controls;

public static class ControlsServices
{
    public static IServiceCollection AddHeraldControls(this IServiceCollection services)
    {
        services.AddSingleton<ControlsStore>();
        services.AddSingleton<ControlsService>();
        services.AddSingleton<FanOutControls>();
        services.AddSingleton<ControlsCache>();
        return services;
    }
}
