using System.Net;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Delivery;

public sealed class SignatureInteropTests
{
    [Theory]
    [InlineData(null, true)]
    [InlineData("whsec_c3RhbmRhcmQtd2ViaG9va3Mtc2VjcmV0IQ==", true)]
    // The seed's own example secret is not base64, so the standardwebhooks package cannot load it; the seed's verifier still works.
    [InlineData("whsec_your_signing_secret", false)]
    public async Task Deliveries_verify_with_the_standardwebhooks_package_and_the_seed_node_verifier(string? chosenSecret, bool standardSecret)
    {
        Interop.Require();
        await using var receiver = await TestReceiver.StartAsync();
        var settings = HeraldFactory.ReceiverSettings(receiver.Port);
        settings["Herald:Delivery:Resolve:0"] = $"receiver.test:{receiver.Port}=127.0.0.1:{receiver.Port}";
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, settings);
        var created = await herald.Admin().PostJson("/v1/destinations", chosenSecret is null
            ? new { kind = "webhook", url = $"https://receiver.test:{receiver.Port}/hook" }
            : new { kind = "webhook", url = $"https://receiver.test:{receiver.Port}/hook", secret = chosenSecret } as object).Json(HttpStatusCode.Created);
        var secret = chosenSecret ?? created.Str("signing_secret");

        await herald.Admin().PublishAsync("auth.signup", new { user_id = "u_1", email = "a@example.com", note = "ünïcödé ✓" });
        var request = (await receiver.WaitForAsync(1))[0];
        var result = await Interop.VerifyAsync(request.Body, request.Headers, secret);
        Assert.Equal(standardSecret, result.GetProperty("standardwebhooks").GetBoolean());
        Assert.True(result.GetProperty("seed").GetBoolean(), result.ToString());

        var tampered = await Interop.VerifyAsync(request.Body.Replace("u_1", "u_2"), request.Headers, secret);
        Assert.False(tampered.GetProperty("standardwebhooks").GetBoolean());
        Assert.False(tampered.GetProperty("seed").GetBoolean());
    }
}
