-- The admin dashboard's audit log: the client address of each event, and indexes for its
-- filters (actor, action, subject), each newest first.
ALTER TABLE audit_log ADD COLUMN ip TEXT;
CREATE INDEX audit_log_actor_idx ON audit_log(actor, at);
CREATE INDEX audit_log_action_idx ON audit_log(action, at);
CREATE INDEX audit_log_subject_idx ON audit_log(subject, at);
