/**
 * Zones, rules and policies: {@link dev.allowdns.policy.Policy#decide(String)} turns a name into
 * a {@link dev.allowdns.policy.Decision} that says why. {@link dev.allowdns.policy.PolicySet} is
 * the immutable, generation-numbered view that a reload swaps atomically.
 */
package dev.allowdns.policy;
