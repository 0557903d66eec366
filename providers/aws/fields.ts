/**
 * What extract.ts reads from a `DescribeInstances` answer, shape by shape. EC2 has no field mask:
 * an instance comes with every field it has (60 in the SDK's schema, with its block devices,
 * interfaces, licenses...), and the SDK's deserializer visits each member of each shape for each
 * instance. The build prunes the bundle's EC2 schemas to these members (scripts/bundle-providers.mjs,
 * `awsShapes`), so the deserializer reads only them and the shapes nothing else reaches are left out
 * of the bundle. A member read in extract.ts must be listed here: `ReadReservation` is what
 * `targetsFromReservations` takes, so the compiler refuses a read of any other member.
 */
import type { Instance, InstanceIpv6Address, InstanceNetworkInterface, InstanceState, Placement, Reservation } from '@aws-sdk/client-ec2';

/** Shape name (the SDK's `<Name>$` schema) -> the members kept. A shape not listed keeps all of its own. */
export const EC2_READ_MEMBERS = {
  Reservation: ['Instances'],
  Instance: ['InstanceId', 'State', 'Tags', 'Placement', 'NetworkInterfaces', 'PublicIpAddress', 'PrivateIpAddress'],
  InstanceState: ['Name'],
  Placement: ['AvailabilityZone'],
  InstanceNetworkInterface: ['Ipv6Addresses'],
  InstanceIpv6Address: ['Ipv6Address'],
} as const;

type Kept<T, S extends keyof typeof EC2_READ_MEMBERS> = Pick<T, (typeof EC2_READ_MEMBERS)[S][number] & keyof T>;

/** An instance as the pruned bundle gives it. */
export type ReadInstance = Omit<Kept<Instance, 'Instance'>, 'State' | 'Placement' | 'NetworkInterfaces'> & {
  State?: Kept<InstanceState, 'InstanceState'>;
  Placement?: Kept<Placement, 'Placement'>;
  NetworkInterfaces?: (Omit<Kept<InstanceNetworkInterface, 'InstanceNetworkInterface'>, 'Ipv6Addresses'> & {
    Ipv6Addresses?: Kept<InstanceIpv6Address, 'InstanceIpv6Address'>[];
  })[];
};

/** A reservation as the pruned bundle gives it. */
export type ReadReservation = Omit<Kept<Reservation, 'Reservation'>, 'Instances'> & { Instances?: ReadInstance[] };
