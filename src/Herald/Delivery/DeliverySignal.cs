namespace Herald.Delivery;

/// <summary>Wakes this node's dispatcher when new work was written here (other nodes' work is found by polling).</summary>
public sealed class DeliverySignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Notify() => Interlocked.Exchange(ref _next, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Completes on the next <see cref="Notify"/>, or when the poll interval passes on <paramref name="time"/>.</summary>
    public async Task WaitAsync(TimeSpan pollInterval, TimeProvider time, CancellationToken ct)
    {
        var signalled = Volatile.Read(ref _next).Task;
        using var delay = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var poll = Task.Delay(pollInterval, time, delay.Token);
        await Task.WhenAny(signalled, poll);
        await delay.CancelAsync();
        ct.ThrowIfCancellationRequested();
    }
}
