/**
 * Helpers shared by the modules' tests: seeded random generators and a property runner that
 * reports the seed of a failure and shrinks failing lists, the architecture check, and a clock
 * that tests move instead of sleeping.
 */
package org.securebroker.testing;
