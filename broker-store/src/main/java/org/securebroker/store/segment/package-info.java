/**
 * Segment files: the record format and its codec, the segment header, the sparse offset index
 * derived from a scan, recovery scanning, and positional reads of durable records.
 */
package org.securebroker.store.segment;
