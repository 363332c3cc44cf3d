-- D1, D3: a customer's name and, when it differs, its ASCII form, in one column with one trigram index. Two
-- indexes (one per column) made every name search read each word's posting lists twice and plan twice as many
-- conditions: at 100k customers the company part of a search took ~24 ms to run and ~6 ms to plan, ~4 and ~3 ms
-- on the one column (bench/reads-at-scale.ts). One index less to update on every customer written, too.
ALTER TABLE customers ADD COLUMN search_name text GENERATED ALWAYS AS (
  CASE WHEN organization_name_ascii = organization_name THEN organization_name
       ELSE organization_name || ' ' || organization_name_ascii END
) STORED;
CREATE INDEX customers_search_name_trgm ON customers USING gin (search_name gin_trgm_ops);
DROP INDEX customers_name_trgm;
DROP INDEX customers_name_ascii_trgm;
