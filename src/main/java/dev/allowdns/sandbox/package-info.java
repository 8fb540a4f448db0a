/**
 * Who is asking: {@link dev.allowdns.sandbox.Sandboxes#identify} maps a client address to the
 * {@link dev.allowdns.sandbox.Sandbox} it belongs to, and so to its policy.
 */
package dev.allowdns.sandbox;
