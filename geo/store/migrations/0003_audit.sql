-- The audit log (issue 15, geo/audit/log.py): one entry per write, numbered 0, 1, 2 ... without a
-- gap, each the canonical JSON of who, when, what and the content hashes involved, with its
-- RFC 9162 leaf hash (SHA-256 of 0x00 || entry, hex). The entries are the leaves of a Merkle tree
-- whose published heads prove later that nothing was rewritten (python -m geo audit verify).
create table audit_log (
  seq integer primary key check (seq >= 0),
  entry text not null,
  leaf text not null check (leaf ~ '^[0-9a-f]{64}$')
);

-- A defence, not the proof: the log only grows. An UPDATE, DELETE or TRUNCATE is refused; someone
-- who owns the table can still disable these triggers, which is what the tree heads are for.
create function audit_log_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'the audit log is append-only: % on audit_log refused', tg_op
    using errcode = 'insufficient_privilege';
end
$$;
create trigger audit_log_no_update before update or delete on audit_log
  for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
  for each statement execute function audit_log_append_only();
