namespace Herald.Secrets;

/// <summary>
/// Every column that holds a sealed value, with the context its values are sealed under. The startup key check and
/// re-sealing walk this list, so a new sealed column is added here once.
/// </summary>
public static class SealedColumns
{
    public sealed record Column(string Table, string IdColumn, string ValueColumn)
    {
        public string Context(string id) => $"{Table}.{ValueColumn}:{id}";
    }

    public static readonly Column DestinationUrl = new("destinations", "id", "url_sealed");
    public static readonly Column DestinationHeaders = new("destinations", "id", "headers_sealed");
    public static readonly Column DestinationSecret = new("destinations", "id", "signing_secret_sealed");
    public static readonly Column DestinationPreviousSecret = new("destinations", "id", "previous_secret_sealed");
    public static readonly Column HeraldSecret = new("herald_secrets", "name", "value_sealed");
    public static readonly Column SourceSecret = new("sources", "id", "secret_sealed");
    public static readonly Column SourceToken = new("sources", "id", "token_sealed");

    public static readonly IReadOnlyList<Column> All =
        [DestinationUrl, DestinationHeaders, DestinationSecret, DestinationPreviousSecret, HeraldSecret, SourceSecret, SourceToken];
}
