/** The Netty transport the servers run on: native epoll on Linux, NIO elsewhere. */
package dev.allowdns.transport;
