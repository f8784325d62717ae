/**
 * The file layer under the store: channels, directory fsync and atomic file replacement, behind
 * an interface so tests can inject I/O failures (a failing fsync, a full disk).
 */
package org.securebroker.store.io;
