/**
 * The transparent relay: {@link dev.allowdns.relay.RelayServer} accepts the TCP connections
 * iptables redirects, reads their original destination, asks the {@link dev.allowdns.ledger.Ledger}
 * which name it came from, peeks at TLS SNI / HTTP Host, decides ({@link
 * dev.allowdns.relay.Gate}), then pumps bytes both ways and records the connection.
 */
package dev.allowdns.relay;
