// Replaced by the archive's tests.
