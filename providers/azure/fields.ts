/**
 * What extract.ts reads from arm-network's answers, mapper by mapper. ARM has no field mask: a
 * NIC comes whole (its IP configurations with their subnets, load balancer pools, DNS settings...),
 * and core-client's deserializer visits every property of every mapper for every object. The
 * build cuts these mappers of the bundle's models/mappers.js to the properties listed
 * (scripts/bundle-arm-mappers.mjs, `cutProperties`): the deserializer reads only them, and the
 * mappers only the cut properties reached are left out of the bundle. What it no longer reads is
 * not all gone: core-client copies a top-level JSON key no property claims as it came (`etag`,
 * `type`), but the flattened properties (`properties.*`) not listed are dropped with their
 * `properties` object. `NicLike` and `PublicIpLike` are what extract.ts takes, so the compiler
 * refuses a read of a property not listed.
 */
import type { NetworkInterface, NetworkInterfaceIPConfiguration, PublicIPAddress } from '@azure/arm-network';

/** Mapper name -> the properties kept. A mapper not listed keeps all of its own. */
export const ARM_NETWORK_READ_PROPERTIES = {
  NetworkInterface: ['id', 'name', 'location', 'tags', 'virtualMachine', 'ipConfigurations'],
  NetworkInterfaceIPConfiguration: ['privateIPAddress', 'privateIPAddressVersion', 'publicIPAddress'],
  PublicIPAddress: ['id', 'ipAddress', 'publicIPAddressVersion'],
} as const;

type Kept<T, M extends keyof typeof ARM_NETWORK_READ_PROPERTIES> = { -readonly [K in (typeof ARM_NETWORK_READ_PROPERTIES)[M][number] & keyof T]?: T[K] };

/** The subset of `PublicIPAddress` this provider reads (a resource, or a configuration's inline reference). */
export type PublicIpLike = Kept<PublicIPAddress, 'PublicIPAddress'>;

/** The subset of `NetworkInterface` this provider reads. */
export type NicLike = Omit<Kept<NetworkInterface, 'NetworkInterface'>, 'virtualMachine' | 'ipConfigurations'> & {
  virtualMachine?: { id?: string };
  ipConfigurations?: (Omit<Kept<NetworkInterfaceIPConfiguration, 'NetworkInterfaceIPConfiguration'>, 'publicIPAddress'> & {
    publicIPAddress?: PublicIpLike;
  })[];
};
