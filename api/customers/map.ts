import countries from 'world-countries';
import zipcodes from 'zipcodes';
import { z } from 'zod';
import {
  type CountryCount,
  countCustomersByCountry,
  countCustomersByPostalCode,
  type PostalCodeCount,
} from '../../db/customers';
import { type Api, json } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { getRoute } from '../http/route-kinds';
import { customerListFilters } from './filters';
import { CustomerExportQuery } from './schemas';

// D4: a map of the reseller's customers: one point per country at its centroid, or (`level=area`) one per postal
// area where the postal code resolves. Both from bundled packages, no network at run time: the centroids from
// world-countries (ODbL), the areas from zipcodes (US ZIP codes and Canadian forward sortation areas, the only
// countries an offline postal dataset on npm covers).

/** The countries whose postal codes the bundled data resolves to an area. */
const AREA_COUNTRIES = ['US', 'CA'];

/** ISO 3166-1 alpha-2 → the country's common name and centroid, built once. */
const COUNTRIES = new Map(
  countries.map((c) => [c.cca2.toUpperCase(), { name: c.name.common, lat: c.latlng[0], lng: c.latlng[1] }]),
);

const Point = z
  .object({
    type: z.literal('Point'),
    coordinates: z
      .tuple([z.number(), z.number()])
      .meta({ description: "[longitude, latitude] in degrees (WGS 84), RFC 7946's order: the country's centroid" }),
  })
  .meta({ id: 'GeoJsonPoint' });

const CountryFeature = z
  .object({
    type: z.literal('Feature'),
    id: z.string().meta({ description: 'The country code' }),
    geometry: Point.nullable().meta({
      description: 'null for a country code the bundled country data does not know (RFC 7946 §3.2 allows it)',
    }),
    properties: z.object({
      country: z.string().meta({ description: 'ISO 3166-1 alpha-2, as the customers were added with it (C1)' }),
      name: z.string().nullable().meta({ description: "The country's common English name; null when unknown" }),
      customers: z.number().int().meta({ description: "How many of the reseller's customers are there" }),
      byInvitationStatus: z
        .object({ pending: z.number().int(), accepted: z.number().int() })
        .meta({ description: 'Of those, how many by invitation status (C2)' }),
    }),
  })
  .meta({ id: 'CustomerMapFeature' });

const AreaFeature = z
  .object({
    type: z.literal('Feature'),
    id: z.string().meta({ description: 'The country code and the area: US-94105, CA-M5V' }),
    geometry: Point,
    properties: z.object({
      country: z.string(),
      area: z.string().meta({ description: 'The US ZIP code or the Canadian forward sortation area' }),
      name: z.string().meta({ description: 'The place: city and state or province' }),
      customers: z.number().int(),
      byInvitationStatus: z.object({ pending: z.number().int(), accepted: z.number().int() }),
    }),
  })
  .meta({ id: 'CustomerMapAreaFeature' });

export const CustomerMap = z
  .object({ type: z.literal('FeatureCollection'), features: z.array(z.union([CountryFeature, AreaFeature])) })
  .meta({ id: 'CustomerMap' });

const CustomerMapQuery = CustomerExportQuery.extend({
  level: z
    .enum(['country', 'area'])
    .default('country')
    .meta({
      description:
        'country: a point per country (every customer counted); area: a point per postal area, for the customers ' +
        'whose postal code the bundled data resolves (US ZIP codes, Canadian forward sortation areas)',
    }),
}).strict();

type Feature = z.infer<typeof CountryFeature>;

/** The counts as GeoJSON features, one per country, most customers first. */
export function toCustomerMap(counts: CountryCount[]): z.infer<typeof CustomerMap> {
  const byCountry = new Map<string, Feature>();
  for (const { country, invitationStatus, customers } of counts) {
    const code = country.toUpperCase();
    let feature = byCountry.get(code);
    if (!feature) {
      const known = COUNTRIES.get(code);
      feature = {
        type: 'Feature',
        id: code,
        geometry: known ? { type: 'Point', coordinates: [known.lng, known.lat] } : null,
        properties: {
          country: code,
          name: known?.name ?? null,
          customers: 0,
          byInvitationStatus: { pending: 0, accepted: 0 },
        },
      };
      byCountry.set(code, feature);
    }
    feature.properties.customers += customers;
    feature.properties.byInvitationStatus[invitationStatus] += customers;
  }
  const features = [...byCountry.values()].sort(
    (a, b) => b.properties.customers - a.properties.customers || a.id.localeCompare(b.id),
  );
  return { type: 'FeatureCollection', features };
}

/** D4: the counts per postal code grouped by the area each resolves to; codes that do not resolve are left out. */
export function toAreaMap(counts: PostalCodeCount[]): z.infer<typeof CustomerMap> {
  const byArea = new Map<string, z.infer<typeof AreaFeature>>();
  for (const { country, postalCode, invitationStatus, customers } of counts) {
    // A US ZIP+4 by its ZIP; a Canadian code by its forward sortation area (its first three characters).
    const code = postalCode.replace(/\s+/g, '').toUpperCase();
    const place = zipcodes.lookup(country === 'US' ? code.slice(0, 5) : code.slice(0, 3));
    if (!place || (country === 'US') !== (place.country === 'US')) continue;
    const id = `${country}-${place.zip}`;
    let feature = byArea.get(id);
    if (!feature) {
      feature = {
        type: 'Feature',
        id,
        geometry: { type: 'Point', coordinates: [place.longitude, place.latitude] },
        properties: {
          country,
          area: String(place.zip),
          name: `${place.city}, ${place.state}`,
          customers: 0,
          byInvitationStatus: { pending: 0, accepted: 0 },
        },
      };
      byArea.set(id, feature);
    }
    feature.properties.customers += customers;
    feature.properties.byInvitationStatus[invitationStatus] += customers;
  }
  const features = [...byArea.values()].sort(
    (a, b) => b.properties.customers - a.properties.customers || a.id.localeCompare(b.id),
  );
  return { type: 'FeatureCollection', features };
}

/** D4: registered by customerRoutes before /v1/customers/{id}, which would otherwise take "map" for an id. */
export function customerMapRoute(api: Api, { sql, config }: Pick<AppDeps, 'sql' | 'config'>): void {
  getRoute(api, {
    path: '/v1/customers/map',
    summary:
      "A map of the reseller's customers: a point per country, or per postal area, with counts by invitation status (D4)",
    description:
      'A GeoJSON FeatureCollection (RFC 7946), served as `application/json`: one Point feature per country the ' +
      "reseller's customers are in, at the country's centroid (bundled country data, ISO 3166-1 alpha-2), with how " +
      'many customers are there and how many of them by invitation status. A country code the data does not know ' +
      "is a feature with a null geometry, so every customer is counted. Takes the customer list's filters (D1): " +
      '`status`, `filter`, `managedBy=me`, `q`, `email`. With `level=area`, a point per postal area instead, for the ' +
      'customers whose postal code the bundled data resolves (US ZIP codes, Canadian forward sortation areas).',
    query: CustomerMapQuery,
    response: json('The customers per country, as GeoJSON', CustomerMap),
    answer: async (principal, { level, ...query }) => {
      const filters = customerListFilters(config, principal, query);
      return level === 'area'
        ? toAreaMap(await countCustomersByPostalCode(sql, principal.resellerId, filters, AREA_COUNTRIES))
        : toCustomerMap(await countCustomersByCountry(sql, principal.resellerId, filters));
    },
  });
}
