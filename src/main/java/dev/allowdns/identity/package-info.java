/**
 * Process identity for sandboxes that are network namespaces on this host: {@link SocketOwners}
 * finds the process that owns a sandbox-side socket from {@code /proc}, within a time budget and
 * off the event loops, as a {@link ProcessOwner} for the connection record.
 */
package dev.allowdns.identity;
