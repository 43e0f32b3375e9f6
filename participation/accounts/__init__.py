"""Staff accounts and organisations, sign-in and passwords, the audit log pages, and the hashing keys' CLI."""
