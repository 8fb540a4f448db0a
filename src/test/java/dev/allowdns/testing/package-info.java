/**
 * Reusable support for integration tests that run the real thing: {@link
 * dev.allowdns.testing.UpstreamDns} (a real knotd), {@link dev.allowdns.testing.FakeUpstream} (a
 * scripted in-test DNS server), {@link dev.allowdns.testing.AllowdnsProcess} ({@code allowdns
 * serve} as a subprocess) and {@link dev.allowdns.testing.AllowdnsCli} (one-shot commands), with
 * real clients: {@link dev.allowdns.testing.Dig} ({@code dig}/{@code kdig}) and {@link
 * dev.allowdns.testing.RawDns} (bytes on sockets). {@link dev.allowdns.testing.ResolverStack} wires
 * the usual knotd + allowdns pair; {@link dev.allowdns.testing.RequiresPrograms} skips a class
 * when a program is missing, or fails it when {@code CI=true}.
 *
 * <p>Every process is started on 127.0.0.1 and a free port, and ended by its own PID.
 */
package dev.allowdns.testing;
