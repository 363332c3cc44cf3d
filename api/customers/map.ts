import countries from 'world-countries';
import { z } from 'zod';
import { type CountryCount, countCustomersByCountry } from '../../db/customers';
import { type Api, json } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { getRoute } from '../http/route-kinds';
import { customerListFilters } from './filters';
import { CustomerExportQuery } from './schemas';

// D4: a map of the reseller's customers, one point per country at its centroid. The centroids come from the
// world-countries package (ODbL), bundled: no network at run time. No per-area points: no offline postal-code
// dataset on npm covers the countries served and is kept up to date (the nearest, `zipcodes`, covers the US and
// Canada only).

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

export const CustomerMap = z
  .object({ type: z.literal('FeatureCollection'), features: z.array(CountryFeature) })
  .meta({ id: 'CustomerMap' });

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

/** D4: registered by customerRoutes before /v1/customers/{id}, which would otherwise take "map" for an id. */
export function customerMapRoute(api: Api, { sql, config }: Pick<AppDeps, 'sql' | 'config'>): void {
  getRoute(api, {
    path: '/v1/customers/map',
    summary: "A map of the reseller's customers: a point per country with counts by invitation status (D4)",
    description:
      'A GeoJSON FeatureCollection (RFC 7946), served as `application/json`: one Point feature per country the ' +
      "reseller's customers are in, at the country's centroid (bundled country data, ISO 3166-1 alpha-2), with how " +
      'many customers are there and how many of them by invitation status. A country code the data does not know ' +
      "is a feature with a null geometry, so every customer is counted. Takes the customer list's filters (D1): " +
      '`status`, `filter`, `managedBy=me`, `q`, `email`. Points per country only: no offline postal-code data is ' +
      'bundled, so there are no points per area.',
    query: CustomerExportQuery,
    response: json('The customers per country, as GeoJSON', CustomerMap),
    answer: async (principal, query) =>
      toCustomerMap(
        await countCustomersByCountry(sql, principal.resellerId, customerListFilters(config, principal, query)),
      ),
  });
}
