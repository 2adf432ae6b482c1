-- Outbox bodies are now sealed with the master key when queued. Rows from before carry live
-- links in plain text: delete the delivered ones and drop the bodies of the given-up ones
-- (messages still waiting are sent as they are).
DELETE FROM email_outbox WHERE sent_at IS NOT NULL;
UPDATE email_outbox SET text_body = '', html_body = '' WHERE failed_at IS NOT NULL;
