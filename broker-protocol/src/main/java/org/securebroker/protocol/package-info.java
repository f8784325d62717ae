/**
 * Wire protocol version 1: frames, their codec and the error codes.
 */
package org.securebroker.protocol;
