//! End-to-end tests of the connector live in `tests/`; this library is empty on purpose.
