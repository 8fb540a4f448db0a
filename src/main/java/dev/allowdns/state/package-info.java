/**
 * The run-time state directory ({@code --state-dir}): {@link dev.allowdns.state.StateFile} writes
 * its files so that a crash leaves the old copy or the new one, never half of one.
 */
package dev.allowdns.state;
