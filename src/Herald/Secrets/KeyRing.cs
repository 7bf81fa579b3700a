namespace Herald.Secrets;

/// <summary>The current master key (seals new values) and earlier ones (still open old values after a rotation).</summary>
public sealed class KeyRing
{
    private readonly Dictionary<string, MasterKey> _byId;

    public KeyRing(MasterKey current, IEnumerable<MasterKey> previous)
    {
        Current = current;
        _byId = previous.Append(current).GroupBy(k => k.Id).ToDictionary(g => g.Key, g => g.First());
    }

    public MasterKey Current { get; }

    public IReadOnlyCollection<string> KeyIds => _byId.Keys;

    public MasterKey? Find(string id) => _byId.GetValueOrDefault(id);
}
