/**
 * Chaining through a parent (corporate) proxy: {@link dev.allowdns.parent.ParentRoutes} says
 * which parent, if any, an allowed connection goes through ({@code @proxy}, {@code
 * upstream_proxy}, {@code no_proxy}); {@link dev.allowdns.parent.ParentConnect} asks the parent
 * for a tunnel by name; {@link dev.allowdns.parent.ParentCredentials} reads the root-only
 * credentials file. Used by the transparent relay and the explicit proxy alike.
 */
package dev.allowdns.parent;
