-- Retraction hides, never deletes (issue 15): a retracted batch keeps its reports, row, quarantine
-- and file, and says who retracted it, when and why; an admin can restore it (the latest
-- restoration's who, when and why are kept too; the audit log keeps every one). Stores migrated
-- before this deleted a retracted batch's reports: those stay gone.

alter table batches
  add column retracted_by text,
  add column retract_reason text,
  add column restored_at timestamptz,
  add column restored_by text,
  add column restore_reason text;

-- The reports a batch carried that were already stored (a later file repeating earlier reports):
-- each stays stored once, under the batch that brought it first, and is shown while that batch or
-- any batch that carried it is active. stored_in is the batch that held it when it was carried.
create table batch_carried (
  batch_id text not null references batches (batch_id),
  uid text not null,
  stored_in text not null references batches (batch_id),
  primary key (batch_id, uid)
);
create index batch_carried_uid on batch_carried (uid);
