/**
 * The operator CLI ({@code broker ...}, picocli): init, serve, users, queues, certificates, the
 * audit log (verify, show), the routine security check, and produce/consume for trying things
 * out. Human output by default, {@code --output json} where it lists things, errors on stderr and
 * non-zero exit codes on failure.
 */
package org.securebroker.cli;
