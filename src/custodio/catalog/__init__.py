"""The catalog: agencies, people, cases, warrants, targets, LIIDs, protected numbers (SQL)."""
