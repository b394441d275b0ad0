"""Storage: the only module that talks SQL. Callers get plain records, never ORM sessions."""
