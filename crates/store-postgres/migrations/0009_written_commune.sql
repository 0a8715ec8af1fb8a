-- The former commune an operation's source wrote (Saint-Pol-sur-Mer, merged into Dunkerque
-- since), beside today's commune: reports can group by it to show a table as published.
ALTER TABLE operations ADD COLUMN written_commune_code TEXT;
