/**
 * Helpers shared by the modules' tests: seeded random generators and a property runner that
 * reports the seed of a failure and shrinks failing lists.
 */
package org.securebroker.testing;
