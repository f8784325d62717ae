/**
 * Benchmarks that measure the broker against physical limits; run by hand or from scripts/,
 * never by the test suite.
 */
package org.securebroker.bench;
