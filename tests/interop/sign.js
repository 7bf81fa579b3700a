// Signs inbound webhooks the way the providers do, with the providers' own npm packages, for Herald's source tests.
// Input on stdin: an array of {provider, secret, body, id?, timestamp?, signature?}. Output: an array of
// {headers: {...}, validated?: bool} in the same order.
//   razorpay:          the `razorpay` package has no signer; its validateWebhookSignature checks the test's signature (validated)
//   stripe:            stripe.webhooks.generateTestHeaderString({payload, secret, timestamp})
//   github:            @octokit/webhooks-methods sign(secret, payload)
//   shopify:           Shopify publishes no signer: base64 HMAC-SHA256 as its documentation's Node example computes it
//   standard-webhooks: standardwebhooks Webhook(secret).sign(id, date, payload)
const crypto = require('crypto');
const Razorpay = require('razorpay');
const stripe = require('stripe')('sk_test_interop');
const { Webhook } = require('standardwebhooks');

async function signOne(r) {
  switch (r.provider) {
    case 'razorpay':
      return { headers: { 'X-Razorpay-Signature': r.signature, 'x-razorpay-event-id': r.id },
               validated: Razorpay.validateWebhookSignature(r.body, r.signature, r.secret) };
    case 'stripe':
      return { headers: { 'Stripe-Signature': stripe.webhooks.generateTestHeaderString({ payload: r.body, secret: r.secret, timestamp: r.timestamp }) } };
    case 'github': {
      const { sign } = await import('@octokit/webhooks-methods');
      return { headers: { 'X-Hub-Signature-256': await sign(r.secret, r.body), 'X-GitHub-Delivery': r.id, 'X-GitHub-Event': r.event } };
    }
    case 'shopify':
      return { headers: { 'X-Shopify-Hmac-Sha256': crypto.createHmac('sha256', r.secret).update(r.body, 'utf8').digest('base64'),
                          'X-Shopify-Webhook-Id': r.id, 'X-Shopify-Topic': r.event } };
    case 'standard-webhooks':
      return { headers: { 'webhook-id': r.id, 'webhook-timestamp': String(r.timestamp),
                          'webhook-signature': new Webhook(r.secret).sign(r.id, new Date(r.timestamp * 1000), r.body) } };
    default:
      throw new Error('unknown provider ' + r.provider);
  }
}

let input = '';
process.stdin.on('data', chunk => (input += chunk));
process.stdin.on('end', async () => {
  const requests = JSON.parse(input);
  const out = [];
  for (const r of requests) out.push(await signOne(r));
  process.stdout.write(JSON.stringify(out));
});
