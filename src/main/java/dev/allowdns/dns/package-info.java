/**
 * The resolver: {@link dev.allowdns.dns.DnsServer} serves UDP and TCP, runs every query through
 * the pipeline (identify → decide → cache → forward → guard → record) and forwards allowed names
 * to upstream groups.
 */
package dev.allowdns.dns;
