/**
 * Reads the record logs back ({@link dev.allowdns.logs.RecordReader}: the current file and the
 * rotated {@code .gz} files, in order, tolerant of damage) and sums them up for people: where the
 * bytes went, and who sent them ({@link dev.allowdns.logs.TrafficByGroup}), what was refused ({@link
 * dev.allowdns.logs.BlockedSummary}) and which rules would have allowed what audit mode let through
 * ({@link dev.allowdns.logs.ZoneSuggestion}).
 */
package dev.allowdns.logs;
