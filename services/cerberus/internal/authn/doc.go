// Package authn holds cerberus's credential logic: password hashing, session
// and API token secrets, and login throttling.
//
// The split is deliberate: a password is checked with a slow hash (bcrypt)
// only at login, whereas a session or API token is a random 256-bit secret
// stored only as its SHA-256 and looked up by that hash. A random secret of
// that size cannot be guessed, so it needs no key stretching, and checking a
// token on every request never costs a password-hash computation.
//
// The package is pure logic: no HTTP, no database, no package-level mutable
// state. Callers pass clocks and configuration in explicitly.
package authn
