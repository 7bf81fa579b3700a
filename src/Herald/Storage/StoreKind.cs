namespace Herald.Storage;

public enum StoreKind { Sqlite, Postgres }
