namespace Herald.Common;

/// <summary>A condition that stops Herald from starting; its message is printed as is, without a stack trace.</summary>
public sealed class StartupException(string message) : Exception(message);
