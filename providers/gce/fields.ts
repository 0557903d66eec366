/**
 * Partial responses: the fields the provider asks compute for (Google's `fields` system
 * parameter, sent as the `X-Goog-FieldMask` header). An instance is 3-5 KB of JSON of which
 * discovery reads a tenth; asking for that tenth cuts the bytes and the SDK's protobuf decoding
 * (time and garbage) by as much. A server that refuses the mask gets the request again without it.
 * The build prunes the bundle's protobuf descriptor to these masks (scripts/bundle-providers.mjs,
 * `responseMasks`): a field read here must be in its mask, or the bundle decodes it away.
 */

/** What extract.ts reads from an instance. */
const INSTANCE_FIELDS = 'id,name,zone,status,labels,tags/items,networkInterfaces(networkIP,ipv6Address,accessConfigs/natIP,ipv6AccessConfigs/externalIpv6)';

/** `instances.aggregatedList`: instances of every scope (`*` spans the zone keys), and the page token. */
export const AGGREGATED_FIELDS = `items/*/instances(${INSTANCE_FIELDS}),nextPageToken`;

/** `instances.list`. */
export const LIST_FIELDS = `items(${INSTANCE_FIELDS}),nextPageToken`;

/** `zones.list`: names only. */
export const ZONE_FIELDS = 'items/name,nextPageToken';

/** The header carrying a field mask (the `fields` system parameter). */
export const FIELD_MASK_HEADER = 'X-Goog-FieldMask';
