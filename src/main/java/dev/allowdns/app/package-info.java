/**
 * One allowdns process, assembled in one place ({@link dev.allowdns.app.Allowdns}): the policy
 * and sandboxes in force, the resolver, the relay, the record logs and the admin API, started and
 * stopped in an order that loses nothing.
 */
package dev.allowdns.app;
