"""The journal's SQLite schema: tables, indexes, and the marks that identify the file.

DDL only; the queries that read and write these tables are in ``batchport.journal``.

A new journal gets :data:`SCHEMA` and every migration at once. A journal of an older version is
brought up to :data:`SCHEMA_VERSION` by running the :data:`MIGRATIONS` above its version, in
order, in one transaction; a migration only adds (tables, indexes), so an older batchport's
data is never rewritten.
"""

from __future__ import annotations

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA", "SCHEMA_VERSION"]

#: ``PRAGMA application_id`` of a batchport journal ("BPJ1"), so a foreign file is recognised.
APPLICATION_ID = 0x42504A31

SCHEMA = """
CREATE TABLE batches (
    id          TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    target      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    planned     INTEGER NOT NULL DEFAULT 0,
    finished_at TEXT,
    owner       TEXT
);
CREATE TABLE input_rows (
    batch_id  TEXT NOT NULL REFERENCES batches (id),
    row       INTEGER NOT NULL,
    phone     TEXT NOT NULL,
    data_hash TEXT NOT NULL,
    PRIMARY KEY (batch_id, row)
) WITHOUT ROWID;
CREATE TABLE portability (
    target     TEXT NOT NULL,
    phone      TEXT NOT NULL,
    portable   INTEGER NOT NULL,
    carrier    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    PRIMARY KEY (target, phone)
) WITHOUT ROWID;
CREATE TABLE orders (
    batch_id               TEXT NOT NULL REFERENCES batches (id),
    reference              TEXT NOT NULL,
    position               INTEGER NOT NULL,
    order_group            TEXT NOT NULL,
    user_reference         TEXT NOT NULL,
    country                TEXT NOT NULL,
    carrier                TEXT NOT NULL,
    desired_port_date      TEXT NOT NULL,
    desired_port_time      TEXT NOT NULL,
    desired_port_time_zone TEXT NOT NULL,
    on_demand_activation   INTEGER NOT NULL,
    reseller_name          TEXT NOT NULL,
    PRIMARY KEY (batch_id, reference)
);
CREATE TABLE order_numbers (
    batch_id      TEXT NOT NULL,
    reference     TEXT NOT NULL,
    row           INTEGER NOT NULL,
    phone         TEXT NOT NULL,
    refused       INTEGER NOT NULL DEFAULT 0,
    message       TEXT NOT NULL DEFAULT '',
    number_status TEXT NOT NULL DEFAULT '',
    foc_date      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (batch_id, row),
    FOREIGN KEY (batch_id, reference) REFERENCES orders (batch_id, reference)
);
CREATE INDEX order_numbers_phone ON order_numbers (phone);
CREATE INDEX order_numbers_order ON order_numbers (batch_id, reference, phone);
CREATE TABLE submissions (
    batch_id   TEXT NOT NULL,
    reference  TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('intent', 'created', 'rejected', 'failed')),
    order_id   INTEGER,
    status     TEXT NOT NULL DEFAULT '',
    attempts   INTEGER NOT NULL DEFAULT 0,
    message    TEXT NOT NULL DEFAULT '',
    intent_at  TEXT,
    outcome_at TEXT,
    PRIMARY KEY (batch_id, reference),
    FOREIGN KEY (batch_id, reference) REFERENCES orders (batch_id, reference)
);
CREATE TABLE events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id  TEXT NOT NULL,
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    reference TEXT NOT NULL,
    detail    TEXT NOT NULL
);
CREATE INDEX events_batch ON events (batch_id);
"""

#: Version → the DDL that brings a journal of the version before up to it.
MIGRATIONS: dict[int, str] = {
    # 2: webhook deliveries (``batchport webhooks serve``), each stored once per target by a
    # digest of its canonical JSON. ``state``: received → applied | unknown_order | failed.
    2: """
CREATE TABLE deliveries (
    target      TEXT NOT NULL,
    digest      TEXT NOT NULL,
    received_at TEXT NOT NULL,
    kind        TEXT NOT NULL,
    order_id    INTEGER NOT NULL,
    batch_id    TEXT,
    reference   TEXT,
    state       TEXT NOT NULL
                CHECK (state IN ('received', 'applied', 'unknown_order', 'failed')),
    detail      TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    PRIMARY KEY (target, digest)
);
CREATE INDEX deliveries_order ON deliveries (target, order_id, state);
""",
    # 3: the sheet and result workbook a batch was run with (later commands reread and rewrite
    # them), and the rows ``batchport resubmit`` applied: the hash of what the row shows and
    # the file (and sheet) it was read from.
    3: """
ALTER TABLE batches ADD COLUMN sheet TEXT NOT NULL DEFAULT '';
ALTER TABLE batches ADD COLUMN result_path TEXT NOT NULL DEFAULT '';
CREATE TABLE corrections (
    batch_id     TEXT NOT NULL,
    row          INTEGER NOT NULL,
    visible_hash TEXT NOT NULL,
    source       TEXT NOT NULL,
    sheet        TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (batch_id, row)
) WITHOUT ROWID;
""",
}

SCHEMA_VERSION = max(MIGRATIONS)
