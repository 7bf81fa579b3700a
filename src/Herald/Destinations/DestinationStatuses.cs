namespace Herald.Destinations;

public static class DestinationStatuses
{
    public const string Active = "active";
    public const string Disabled = "disabled";
    public const string AutoDisabled = "auto_disabled";
}
