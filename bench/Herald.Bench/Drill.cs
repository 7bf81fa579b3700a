namespace Herald.Bench;

public static class Drill
{
    public static Task<int> RunAsync(BenchOptions options) => throw new NotImplementedException();
}
