/**
 * File descriptors: the process's {@code RLIMIT_NOFILE}, raised to its hard limit at start
 * ({@link dev.allowdns.descriptors.NoFileLimit}), and the share of it the relay and the explicit
 * proxy may hold ({@link dev.allowdns.descriptors.DescriptorBudget}, the entry type), so that a
 * sandbox opening connections meets a refusal with a record, never a failure inside Netty, and
 * the resolver and the admin API keep descriptors to answer with.
 */
package dev.allowdns.descriptors;
