-- Message templates (Controls/MessageTemplate.cs): a destination's Liquid template, the text of a chat kind's message or a
-- custom webhook's / broker's whole JSON body. NULL: the kind's own message.
ALTER TABLE destination_controls ADD COLUMN template TEXT NULL;
