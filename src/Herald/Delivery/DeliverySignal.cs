namespace Herald.Delivery;

/// <summary>
/// Wakes this node's dispatcher when new work was written here; other nodes' work, and retries coming due, are found by
/// polling. Take <see cref="Next"/> before looking for work, then wait on it, so a notice in between is not lost.
/// </summary>
public sealed class DeliverySignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Next => Volatile.Read(ref _next).Task;

    public void Notify() => Interlocked.Exchange(ref _next, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Completes when <paramref name="next"/> is signalled or the poll interval (wall-clock) passes.</summary>
    public static async Task WaitAsync(Task next, TimeSpan pollInterval, CancellationToken ct)
    {
        using var delay = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await Task.WhenAny(next, Task.Delay(pollInterval, delay.Token));
        await delay.CancelAsync();
        ct.ThrowIfCancellationRequested();
    }
}
