/**
 * The file layer under the store: channels, directory fsync and atomic file replacement, behind
 * an interface so tests can inject I/O failures (a failing fsync, a full disk); and the one place
 * a failing {@code close} may be swallowed ({@link org.securebroker.store.io.Closeables}).
 */
package org.securebroker.store.io;
