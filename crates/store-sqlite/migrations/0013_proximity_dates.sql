-- Proximity management at scale (issue 17's benchmark: 100,000 reports over five years): lists
-- read the latest reports first (every partner's, or those an organisation made or was given)
-- and the committees read a period; both walk reports by date.
-- Keep in step with the other tree's file of the same name (schema-parity test).

CREATE INDEX proximity_reports_date ON proximity_reports (reported_on, id);
CREATE INDEX proximity_reports_organisation ON proximity_reports (organisation_id, reported_on);
CREATE INDEX proximity_assignments_ended ON proximity_assignments (partner_id, ended_on);
-- The committees read a period's reports and every assignment of them: from these indexes alone.
CREATE INDEX proximity_reports_facts ON proximity_reports (reported_on, site_id, theme, place_key);
CREATE INDEX proximity_assignments_facts ON proximity_assignments (report_id, partner_id, status, opened_on, due_on, ended_on);
