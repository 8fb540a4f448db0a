/**
 * The DNS ledger, the one thing the resolver and the relay share: {@link
 * dev.allowdns.ledger.Ledger#remember} records which name each answered address came from, for
 * which sandbox; {@link dev.allowdns.ledger.Ledger#lookup} tells the relay.
 */
package dev.allowdns.ledger;
