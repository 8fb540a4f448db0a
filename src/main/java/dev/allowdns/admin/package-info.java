/**
 * The admin HTTP API ({@link dev.allowdns.admin.AdminServer}): metrics, health, reload, the
 * sandbox registry and a live stream of records. Loopback by default; a bearer token otherwise.
 */
package dev.allowdns.admin;
