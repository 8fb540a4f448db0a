/**
 * The host firewall that puts sandboxes behind allowdns: {@link RestoreScript} turns {@link
 * RuleSettings} into {@code iptables-restore} and {@code ip6tables-restore} scripts (pure text, one
 * per {@link IpFamily}), and {@link Iptables} loads or removes them with the real programs.
 *
 * <p>Every rule lives in the project's own chains ({@link OwnChain}); the only rules outside them
 * are the jumps, one per sandbox interface, first in the built-in chains.
 */
package dev.allowdns.iptables;
