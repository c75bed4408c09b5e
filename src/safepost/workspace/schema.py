"""Database schema as ordered migrations; ``MIGRATIONS[i]`` brings the schema to version i + 1.

Lists (aliases, handles, platforms...) are JSON arrays in TEXT columns. Times are ISO 8601 UTC
strings. Never edit a released migration: append a new one.
"""

MIGRATIONS: list[str] = [
    # 1: core tables
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

    CREATE TABLE people (
        id TEXT PRIMARY KEY,                       -- pseudonymous id, e.g. P-7K3Q9X
        display_name TEXT NOT NULL,
        aliases TEXT NOT NULL DEFAULT '[]',
        nicknames TEXT NOT NULL DEFAULT '[]',
        handles TEXT NOT NULL DEFAULT '[]',        -- e.g. ["x:@ana_r", "instagram:@ana.r"]
        languages TEXT NOT NULL DEFAULT '[]',
        is_minor INTEGER NOT NULL DEFAULT 0,
        guardian TEXT,                             -- guardian's name and contact when a minor
        notes TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );

    CREATE TABLE events (
        id TEXT PRIMARY KEY,                       -- e.g. E-2026-forum
        name TEXT NOT NULL,
        starts_on TEXT,
        ends_on TEXT,
        place TEXT,
        chatham_house INTEGER NOT NULL DEFAULT 0,
        default_documentation TEXT NOT NULL DEFAULT 'ask'
            CHECK (default_documentation IN ('photo_ok', 'no_photo', 'ask')),
        created_at TEXT NOT NULL
    );

    CREATE TABLE consents (
        id INTEGER PRIMARY KEY,
        person_id TEXT NOT NULL REFERENCES people(id),
        event_id TEXT REFERENCES events(id),       -- NULL: standing consent, any event
        use TEXT NOT NULL CHECK (use IN ('face', 'video', 'voice', 'name', 'quote_attributed',
                                         'quote_unattributed', 'affiliation', 'location')),
        platforms TEXT NOT NULL DEFAULT '["*"]',
        audiences TEXT NOT NULL DEFAULT '["public", "closed", "internal"]',
        purposes TEXT NOT NULL DEFAULT '["*"]',
        explained TEXT NOT NULL DEFAULT '',        -- what the person was told
        language TEXT,                             -- language it was explained in
        recorded_by TEXT NOT NULL,
        method TEXT NOT NULL CHECK (method IN ('written', 'verbal', 'audio', 'electronic')),
        attachment_vault_id TEXT REFERENCES vault_files(id),
        given_at TEXT NOT NULL,
        expires_at TEXT,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
        withdrawn_at TEXT
    );
    CREATE INDEX consents_person ON consents(person_id, use);

    CREATE TABLE publications (                    -- written by the post check (issue #7)
        id INTEGER PRIMARY KEY,
        post_ref TEXT NOT NULL,                    -- bundle id or path
        platform TEXT NOT NULL,
        audience TEXT NOT NULL,
        url TEXT,
        event_id TEXT REFERENCES events(id),
        published_at TEXT NOT NULL,
        taken_down_at TEXT
    );
    CREATE TABLE publication_people (
        publication_id INTEGER NOT NULL REFERENCES publications(id),
        person_id TEXT NOT NULL REFERENCES people(id),
        consent_id INTEGER REFERENCES consents(id),
        uses TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (publication_id, person_id)
    );
    CREATE INDEX publication_people_person ON publication_people(person_id);

    CREATE TABLE vault_files (
        id TEXT PRIMARY KEY,                       -- random id; the blob is vault/<id>
        kind TEXT NOT NULL,                        -- original, consent-form, ...
        name TEXT NOT NULL DEFAULT '',
        sha256 TEXT NOT NULL,                      -- of the plaintext
        size INTEGER NOT NULL,
        provenance TEXT NOT NULL DEFAULT '{}',     -- JSON: source URL, uploader, ...
        created_at TEXT NOT NULL
    );

    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,                   -- 1, 2, 3 ... no gaps
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        details TEXT NOT NULL,                     -- canonical JSON
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL                         -- sha256 over seq, at, actor, action, details, prev_hash
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    """,
    # 2: event participants (who gets a badge), guardian consent and refusals on consent records (issue #4)
    """
    CREATE TABLE event_people (
        event_id TEXT NOT NULL REFERENCES events(id),
        person_id TEXT NOT NULL REFERENCES people(id),
        added_at TEXT NOT NULL,
        PRIMARY KEY (event_id, person_id)
    );
    CREATE INDEX event_people_person ON event_people(person_id);
    ALTER TABLE consents ADD COLUMN guardian_consent INTEGER NOT NULL DEFAULT 0;  -- the guardian of a minor agreed too
    ALTER TABLE consents ADD COLUMN refusal INTEGER NOT NULL DEFAULT 0;           -- a NO: withdrawn from the start
    """,
    # 3: what a publication was: its title, the first words of the post, for the takedown list (issue 23)
    """
    ALTER TABLE publications ADD COLUMN title TEXT NOT NULL DEFAULT '';
    """,
]
