-- Energy labels and primary energy consumption before and after a rehabilitation's works, per
-- operation line (issue 20: the mining basin's renovation, E, F or G towards C): optional columns
-- `dpe_avant, dpe_apres, cep_avant, cep_apres` of the exchange format. Keep in step with the
-- other tree's 0018_energy_labels.sql (schema-parity test).

ALTER TABLE operation_lines ADD COLUMN dpe_before TEXT;
ALTER TABLE operation_lines ADD COLUMN dpe_after TEXT;
ALTER TABLE operation_lines ADD COLUMN cep_before BIGINT;
ALTER TABLE operation_lines ADD COLUMN cep_after BIGINT;
