/**
 * One policy for many hosts: {@link dev.allowdns.fleet.Fleet} transfers the policy zone (and RPZ
 * feeds) from a stock primary by IXFR/AXFR, refreshes on NOTIFY and the SOA timers, and is the
 * policy source every reload reads; {@link dev.allowdns.fleet.PolicyExport} writes a zones
 * directory as that zone.
 */
package dev.allowdns.fleet;
