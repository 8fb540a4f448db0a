/**
 * Network-namespace test support: {@link dev.allowdns.testing.netns.SandboxTopology} wires a
 * sandbox, a host and an "internet" namespace; the servers (knotd, nginx with a test CA, a byte
 * counting service) and allowdns itself run inside them through {@link
 * dev.allowdns.testing.netns.Namespace}. Classes that use it declare {@link
 * dev.allowdns.testing.netns.RequiresNetworkNamespaces}.
 */
package dev.allowdns.testing.netns;
