// Replaced by the configuration tests.
