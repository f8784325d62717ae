/**
 * The broker's message-signing keys and the producers' registered keys: loading, checking and
 * rotating the key files, and handing the keys in force to the signer and the verifiers.
 * Imports only the configuration records of the server.
 */
package org.securebroker.server.integrity;
