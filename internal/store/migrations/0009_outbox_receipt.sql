-- 0009: the receipt a receiver gave for a delivered outbox item (the
-- organisation's server answers a report with {"kind","key","id","received",
-- "sha256","bytes"}). Both NULL when the receiver gave none: the item is
-- delivered all the same. Only these two facts are kept, never the answer.
ALTER TABLE outbox ADD COLUMN receipt_id       INTEGER CHECK (receipt_id IS NULL OR receipt_id > 0);
ALTER TABLE outbox ADD COLUMN receipt_received INTEGER; -- the receiver's clock, Unix milliseconds
