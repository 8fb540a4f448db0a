/**
 * The explicit HTTP/1.1 forward proxy ({@code --proxy-listen}) beside the transparent path:
 * {@link dev.allowdns.proxy.ProxyServer} accepts sandboxes that honour {@code HTTP(S)_PROXY};
 * {@link dev.allowdns.proxy.ProxyHandler} decides each {@code CONNECT} and absolute-form request
 * by the sandbox's policy ({@link dev.allowdns.proxy.ProxyDecision}), hands tunnels to the relay
 * and forwards plain HTTP itself ({@link dev.allowdns.proxy.Forwarder}). Every destination
 * connection is recorded with {@code path: "proxy"}.
 */
package dev.allowdns.proxy;
