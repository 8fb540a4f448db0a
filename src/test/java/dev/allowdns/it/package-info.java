/**
 * Integration tests ({@code *IT}, run by failsafe after {@code package}) of {@code allowdns serve},
 * {@code check} and {@code validate} through their real interfaces: the jar as a subprocess, real
 * DNS clients, and a real upstream (knotd) or a scripted one. Fixtures live in {@code
 * src/test/resources/it}: {@code upstream/} (what knotd serves), {@code zones/} (the allowlist),
 * {@code zones-bad/} (one of every kind of zone error), {@code config/}.
 */
package dev.allowdns.it;
