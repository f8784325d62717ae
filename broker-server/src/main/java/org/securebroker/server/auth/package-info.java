/**
 * Authentication: users with Argon2id password hashes (PHC strings) in a file the operator
 * manages, and the PLAIN mechanism, checked on a bounded pool so that hashing never runs on an
 * event loop and an unknown user costs the same as a wrong password.
 *
 * <p>Imports auth.jwt, tls, identity and config; never rbac or access.
 */
package org.securebroker.server.auth;
