// Checks Herald's rendered payloads with the platforms' own libraries.
// Input on stdin: {"teams": [<message JSON>...], "discord": [<webhook body JSON>...]}.
// Output: {"teams": [[errors...]...], "discord": [[errors...]...]} — an empty list means accepted.
// The package's lib/ build does not load under Node's module resolver; its UMD bundle does.
const AC = require('adaptivecards/dist/adaptivecards.js');
const { EmbedBuilder, embedLength } = require('discord.js');

function checkTeams(message) {
  const errors = [];
  if (message.type !== 'message') errors.push('type is not "message"');
  for (const attachment of message.attachments || []) {
    if (attachment.contentType !== 'application/vnd.microsoft.card.adaptive') errors.push('wrong contentType');
    const context = new AC.SerializationContext();
    const card = new AC.AdaptiveCard();
    card.parse(attachment.content, context);
    for (let i = 0; i < context.eventCount; i++) {
      const e = context.getEventAt(i);
      errors.push(`parse: ${e.message}`);
    }
    const results = card.validateProperties();
    for (const e of results.validationEvents) errors.push(`validate: ${e.message}`);
    if (parseFloat(attachment.content.version) < 1.4) errors.push('version below 1.4');
  }
  return errors;
}

function checkDiscord(body) {
  const errors = [];
  if (!body.allowed_mentions || !Array.isArray(body.allowed_mentions.parse) || body.allowed_mentions.parse.length) errors.push('allowed_mentions.parse must be []');
  const embeds = body.embeds || [];
  if (embeds.length > 10) errors.push('more than 10 embeds');
  let total = 0;
  for (const embed of embeds) {
    try {
      const b = new EmbedBuilder();
      if (embed.title !== undefined) b.setTitle(embed.title);
      if (embed.description !== undefined) b.setDescription(embed.description);
      if (embed.url !== undefined) b.setURL(embed.url);
      if (embed.color !== undefined) b.setColor(embed.color);
      if (embed.timestamp !== undefined) b.setTimestamp(new Date(embed.timestamp));
      if (embed.footer !== undefined) b.setFooter(embed.footer);
      if (embed.fields !== undefined) b.addFields(...embed.fields);
      total += embedLength(b.toJSON());
    } catch (e) {
      errors.push(String(e.message || e).split('\n')[0]);
    }
  }
  if (total > 6000) errors.push(`embeds total ${total} > 6000`);
  if (body.content !== undefined && body.content !== null && body.content.length > 2000) errors.push('content > 2000');
  return errors;
}

let input = '';
process.stdin.on('data', chunk => (input += chunk));
process.stdin.on('end', () => {
  const { teams = [], discord = [] } = JSON.parse(input);
  process.stdout.write(JSON.stringify({ teams: teams.map(checkTeams), discord: discord.map(checkDiscord) }));
});
