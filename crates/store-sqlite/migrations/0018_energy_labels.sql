-- Energy labels and primary energy consumption before and after a rehabilitation's works, per
-- operation line (issue 20: the mining basin's renovation, E, F or G towards C): optional columns
-- `dpe_avant, dpe_apres, cep_avant, cep_apres` of the exchange format. Keep in step with the
-- other tree's 0018_energy_labels.sql (schema-parity test).

ALTER TABLE operation_lines ADD COLUMN dpe_before TEXT;
ALTER TABLE operation_lines ADD COLUMN dpe_after TEXT;
ALTER TABLE operation_lines ADD COLUMN cep_before INTEGER;
-- The RPLS identifiers of a line's dwellings, « id|id » (column `rpls`), to follow their rents
-- across vintages.
ALTER TABLE operation_lines ADD COLUMN rpls_ids TEXT;
ALTER TABLE operation_lines ADD COLUMN cep_after INTEGER;

-- The mining basin's cités (ERBM): a cité minière is a project of kind `cite_miniere`; its
-- dwellings per landlord and energy label before the programme (`logis import cites`).
CREATE TABLE mining_estates (
    project_id INTEGER NOT NULL REFERENCES projects (id),
    landlord_id INTEGER NOT NULL REFERENCES organisations (id),
    commune_code TEXT NOT NULL REFERENCES communes (code),
    dwellings INTEGER NOT NULL,
    class_a INTEGER NOT NULL,
    class_b INTEGER NOT NULL,
    class_c INTEGER NOT NULL,
    class_d INTEGER NOT NULL,
    class_e INTEGER NOT NULL,
    class_f INTEGER NOT NULL,
    class_g INTEGER NOT NULL,
    PRIMARY KEY (project_id, landlord_id)
);
