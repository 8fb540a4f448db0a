/**
 * Configuration: {@link dev.allowdns.config.ConfigFile} is what a YAML file or the flags say,
 * {@link dev.allowdns.config.Config} the validated, immutable result with every default applied.
 */
package dev.allowdns.config;
