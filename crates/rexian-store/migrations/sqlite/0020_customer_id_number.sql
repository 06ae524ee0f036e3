-- The ID number (身份证号) in the customer register, a verification factor (`002:§14(1)`):
-- stored normalised (17 digits and a check digit, upper-case X), shown only masked.
ALTER TABLE customers ADD COLUMN id_number TEXT;
