-- D3: codes (VIP ids, serial, PO and invoice numbers) match by their start or by one whole part of them
-- ("4F2A" in SN-4F2A-0001), not anywhere inside: every serial shares the trigrams of "SN-", so a trigram
-- index read most of its 1M entries for each serial typed. Prefixes by btree, parts by GIN over the parts.
CREATE FUNCTION code_parts(code text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN regexp_split_to_array(lower(code), '[^[:alnum:]]+');

CREATE INDEX customers_vip_id_prefix ON customers (lower(vip_id) text_pattern_ops);
CREATE INDEX customers_vip_id_parts ON customers USING gin (code_parts(vip_id));
CREATE INDEX licenses_serial_number_prefix ON licenses (lower(serial_number) text_pattern_ops);
CREATE INDEX licenses_serial_number_parts ON licenses USING gin (code_parts(serial_number));
CREATE INDEX orders_po_number_prefix ON orders (lower(po_number) text_pattern_ops) WHERE po_number IS NOT NULL;
CREATE INDEX orders_po_number_parts ON orders USING gin (code_parts(po_number)) WHERE po_number IS NOT NULL;
CREATE INDEX invoices_number_prefix ON invoices (lower(number) text_pattern_ops);
CREATE INDEX invoices_number_parts ON invoices USING gin (code_parts(number));
-- Only D3 read these; customers_vip_id_trgm stays for the D1 `q` filter (vip_id ILIKE '%…%').
DROP INDEX orders_po_number_trgm;
DROP INDEX licenses_serial_number_trgm;
DROP INDEX invoices_number_trgm;
