/**
 * Authentication mechanism definitions shared by client and server: the SCRAM-SHA-256
 * computations and message formats of RFC 5802 / RFC 7677.
 */
package org.securebroker.protocol.auth;
