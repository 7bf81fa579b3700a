// Verifies one Herald delivery with third-party code: the public `standardwebhooks` package, and the Node example
// from the integrations seed (hex HMAC-SHA256 of the raw body, keyed with the whole secret string).
// Input on stdin: {"body": "...", "headers": {...}, "secret": "whsec_..."}. Output: {"standardwebhooks": bool, "seed": bool}.
const crypto = require('crypto');
const { Webhook } = require('standardwebhooks');

function verifyWebhook(payload, signature, secret) {
  const expected = crypto.createHmac('sha256', secret).update(payload).digest('hex');
  return crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
}

let input = '';
process.stdin.on('data', chunk => (input += chunk));
process.stdin.on('end', () => {
  const { body, headers, secret } = JSON.parse(input);
  const result = { standardwebhooks: false, seed: false };
  try {
    new Webhook(secret).verify(body, headers);
    result.standardwebhooks = true;
  } catch (e) {
    result.standardwebhooksError = String(e.message || e);
  }
  try {
    result.seed = verifyWebhook(body, headers['x-herald-signature'], secret);
  } catch (e) {
    result.seedError = String(e.message || e);
  }
  process.stdout.write(JSON.stringify(result));
});
