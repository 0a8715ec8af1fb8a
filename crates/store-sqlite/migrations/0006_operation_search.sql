-- Text search of operations: the keys (lower case, no accents, letters and digits) of the
-- reference and the label, written by the import. Rows of older databases are filled by the
-- adapter right after this migration (the key is computed in Rust, see text::name_key).
ALTER TABLE operations ADD COLUMN search_key TEXT;
