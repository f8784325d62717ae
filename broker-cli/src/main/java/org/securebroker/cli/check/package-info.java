/**
 * The routine security check ({@code broker check}): small, independent checks of the
 * configuration and the data directory, made offline, each reporting findings with a severity,
 * what was found and how to fix it.
 */
package org.securebroker.cli.check;
