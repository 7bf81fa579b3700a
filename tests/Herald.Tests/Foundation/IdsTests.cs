using Herald.Common;

namespace Herald.Tests.Foundation;

/// <summary>Ids sort by creation time (so inserts append to their index) and stay well-formed and unguessable.</summary>
public sealed class IdsTests
{
    [Fact]
    public void Ids_sort_in_the_order_they_were_made()
    {
        var times = new long[] { 0, 1, 31, 32, 1_000, 1_700_000_000_000, 1_700_000_000_001, 1_799_999_999_999, (1L << 50) - 1 };
        var ids = times.Select(t => Ids.New("evt", t)).ToList();
        Assert.Equal(ids, ids.Order(StringComparer.Ordinal).ToList());
        Assert.All(ids, id => Assert.True(Ids.IsWellFormed(id, "evt"), id));
    }

    [Fact]
    public void Ids_made_in_the_same_millisecond_differ()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => Ids.New("dlv", 1_700_000_000_000)).ToHashSet();
        Assert.Equal(10_000, ids.Count);
        Assert.All(ids, id => Assert.StartsWith(ids.First()[..14], id));
    }

    [Fact]
    public void An_id_with_another_prefix_or_alphabet_is_not_well_formed()
    {
        var id = Ids.New("evt");
        Assert.False(Ids.IsWellFormed(id, "dlv"));
        Assert.False(Ids.IsWellFormed(id.ToUpperInvariant(), "evt"));
        Assert.False(Ids.IsWellFormed(id + "a", "evt"));
    }
}
