namespace Herald.Net;

/// <summary>Thrown from the connect callback when every resolved address of a destination is blocked.</summary>
public sealed class BlockedDestinationException() : Exception("The destination resolves only to blocked addresses.");
