-- The partnerships' joint action plans (issue 22): actions (a type, a status, a lead, years),
-- what each names (landlords, communes, residences of the plans, operations of the register,
-- land sites: one link each) and the steering committee's decisions. Keep in step with the
-- other tree's 0022_actions.sql.

CREATE TABLE plan_actions (
    id INTEGER PRIMARY KEY,
    partnership_id INTEGER NOT NULL REFERENCES partnerships (id),
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    lead_id INTEGER NOT NULL REFERENCES organisations (id),
    first_year INTEGER,
    last_year INTEGER,
    detail TEXT NOT NULL,
    origin TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE plan_action_links (
    action_id INTEGER NOT NULL REFERENCES plan_actions (id),
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (action_id, kind, target)
);

CREATE TABLE plan_decisions (
    id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES plan_actions (id),
    decided_on TEXT NOT NULL,
    decision TEXT NOT NULL,
    status TEXT,
    recorded_at TEXT NOT NULL
);

CREATE INDEX plan_decisions_action ON plan_decisions (action_id);
