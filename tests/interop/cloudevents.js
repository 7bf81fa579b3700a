// Parses what Herald sent with the `cloudevents` npm package (the CloudEvents SDK for JavaScript), in whichever mode the
// request is in (structured or binary), strictly (the SDK validates the event against the 1.0 spec).
// Input on stdin: {"requests": [{"headers": {...}, "body": "..."}]}. Output: {"events": [{"mode", "specversion", "id",
// "source", "type", "time", "datacontenttype", "data"} or {"error"}]}.
const { HTTP } = require('cloudevents');

let input = '';
process.stdin.on('data', chunk => (input += chunk));
process.stdin.on('end', () => {
  const { requests } = JSON.parse(input);
  const events = requests.map(({ headers, body }) => {
    try {
      const message = { headers, body };
      const mode = HTTP.isEvent(message) ? (headers['content-type'] || '').startsWith('application/cloudevents+json') ? 'structured' : 'binary' : 'none';
      const event = HTTP.toEvent(message);
      event.validate();
      return {
        mode, specversion: event.specversion, id: event.id, source: event.source, type: event.type, time: event.time,
        datacontenttype: event.datacontenttype, data: event.data,
      };
    } catch (e) {
      return { error: String((e && e.message) || e) + (e && e.errors ? ' ' + JSON.stringify(e.errors) : '') };
    }
  });
  process.stdout.write(JSON.stringify({ events }));
});
