// The overview page: every call goes to the engine's API with the signed-in API key, as a portal backend's would.
// Data reaches the page as text nodes only (never as HTML), and the key stays in this tab's sessionStorage.
const KEY = 'reseller-engine.apiKey';
const $ = (id) => document.getElementById(id);
let config = { temporalUiUrl: null, namespace: 'default' };
let mapData = null;
let world = null;
let selectedCountry = null;
let customersCursor = null;

/** An element with attributes and children (strings become text nodes). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
  }
}

async function api(path, { raw = false } = {}) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${sessionStorage.getItem(KEY)}` } });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  return raw ? res : res.json();
}

const date = (iso) => (iso ? new Date(iso).toISOString().slice(0, 10) : '');
const money = (m) =>
  new Intl.NumberFormat('en', { style: 'currency', currency: m.currency }).format(m.amountMinor / 100);

/** The run in the operators' Temporal UI. */
function runLink(workflowId, text = 'Run in Temporal UI') {
  if (!config.temporalUiUrl) return null;
  const href = `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return el('a', { href, target: '_blank', rel: 'noopener', class: 'run-link' }, text);
}

function table(tbody, rows) {
  tbody.replaceChildren(
    ...rows.map((cells) =>
      el('tr', {}, ...cells.map((c) => (c instanceof Node && c.tagName === 'TD' ? c : el('td', {}, c)))),
    ),
  );
}

// --- Sign in -------------------------------------------------------------------------------------------------

async function signIn(key) {
  sessionStorage.setItem(KEY, key);
  try {
    await api('/v1/customers?limit=1');
  } catch (err) {
    sessionStorage.removeItem(KEY);
    throw err;
  }
  $('sign-in').hidden = true;
  $('signed-in').hidden = false;
  $('who').hidden = false;
  $('who-text').textContent = `Signed in with key ${key.slice(0, 8)}…`;
  await Promise.all([loadCustomers(), loadMap(), loadReport(), loadBalance()]);
}

$('sign-in-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('sign-in-error').textContent = '';
  try {
    await signIn($('api-key').value.trim());
  } catch (err) {
    $('sign-in-error').textContent =
      err.status === 401 ? 'That API key is not valid (or was revoked).' : `Could not sign in: ${err.message}`;
  }
});

$('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(KEY);
  location.reload();
});

// --- Search (D3) ---------------------------------------------------------------------------------------------

$('search-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const list = $('search-results');
  const { results } = await api(`/v1/search?q=${encodeURIComponent($('search-q').value)}`);
  if (!results.length) return list.replaceChildren(el('li', { class: 'muted' }, 'Nothing found.'));
  list.replaceChildren(
    ...results.map((r) => {
      const customerId = r.type === 'company' ? r.id : null;
      return el(
        'li',
        {},
        el('span', { class: 'type' }, r.type),
        customerId
          ? el('button', { type: 'button', class: 'link', onclick: () => openCustomer(customerId) }, r.label)
          : r.label,
      );
    }),
  );
});

// --- Customers (D1) and details (D7) ---------------------------------------------------------------------------

async function loadCustomers(append = false) {
  const params = new URLSearchParams({ filter: $('filter').value, limit: '20' });
  if ($('managed-by-me').checked) params.set('managedBy', 'me');
  if (append && customersCursor) params.set('cursor', customersCursor);
  const page = await api(`/v1/customers?${params}`);
  customersCursor = page.nextCursor;
  $('more-customers').hidden = !page.nextCursor;
  const rows = page.data.map((c) => [
    el(
      'td',
      {},
      el('button', { type: 'button', class: 'link', onclick: () => openCustomer(c.id) }, c.organizationName),
    ),
    c.vipId,
    c.country,
    el('span', { class: `badge ${c.invitationStatus}` }, c.invitationStatus),
  ]);
  const tbody = $('customers').tBodies[0];
  if (append) {
    const before = [...tbody.rows];
    table(tbody, []);
    tbody.append(...before);
    for (const cells of rows)
      tbody.append(el('tr', {}, ...cells.map((c) => (c.tagName === 'TD' ? c : el('td', {}, c)))));
  } else {
    table(tbody, rows.length ? rows : [[el('td', { colspan: 4, class: 'muted' }, 'No customers for this filter.')]]);
  }
}

$('filter').addEventListener('change', () => loadCustomers());
$('managed-by-me').addEventListener('change', () => loadCustomers());
$('more-customers').addEventListener('click', () => loadCustomers(true));

function facts(pairs) {
  return el('dl', { class: 'facts' }, ...pairs.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v ?? '—')]));
}

async function openCustomer(id) {
  const c = await api(`/v1/customers/${encodeURIComponent(id)}`);
  const body = $('details-body');
  const orders = c.orders.map((o) => [
    o.poNumber ?? o.id.slice(0, 8),
    o.kind,
    o.status,
    date(o.createdAt),
    runLink(`${o.kind === 'trial' || o.convertedAt ? 'trial' : 'order'}:${o.id}`, 'run') ?? '',
  ]);
  const authorizations = c.authorizations.map((a) => [
    a.product,
    String(a.quantity),
    a.status,
    date(a.createdAt),
    runLink(`purchase-authorization:${a.id}`, 'run') ?? '',
  ]);
  body.replaceChildren(
    el('h3', { id: 'details-name' }, c.organizationName),
    facts([
      ['VIP id', c.vipId],
      ['Contract owner', `${c.contact.firstName} ${c.contact.lastName} <${c.contact.email}>`],
      ['Address', [c.addressLine1, c.addressLine2, `${c.postalCode} ${c.city}`, c.country].filter(Boolean).join(', ')],
      ['Invitation', c.invitationStatus],
      ['Type, segment', `${c.type}, ${c.marketSegment}`],
      ['Anniversary', c.anniversaryDate],
      ['Managed by', c.managedBy?.name],
      ['VIP Select', c.vipSelect ? `level ${c.vipSelect.level}` : null],
      ['3-year commitment', c.threeYearCommitment ? `${c.threeYearCommitment.quantity} licenses` : null],
      ['Invitation run', runLink(`invitation:${c.id}`, `invitation:${c.id}`)],
    ]),
    el('h3', {}, 'Plans'),
    c.plans.length
      ? el('ul', {}, ...c.plans.map((p) => el('li', {}, `${p.product}: ${p.licenses} ${p.status}`)))
      : el('p', { class: 'muted' }, 'No licenses yet.'),
    el('h3', {}, 'Orders and trials'),
    orders.length ? tableOf(['PO', 'Kind', 'Status', 'Created', ''], orders) : el('p', { class: 'muted' }, 'None.'),
    el('h3', {}, 'Purchase authorizations'),
    authorizations.length
      ? tableOf(['Product', 'Qty', 'Status', 'Created', ''], authorizations)
      : el('p', { class: 'muted' }, 'None.'),
  );
  $('details-empty').hidden = true;
  body.hidden = false;
  $('details').focus();
  selectCountry(c.country, c.organizationName);
}

function tableOf(head, rows) {
  const t = el(
    'table',
    {},
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody'),
  );
  table(t.tBodies[0], rows);
  return t;
}

// --- Map (D4): the world from world-atlas, drawn with d3-geo; a point per country sized by its customers --------

const SVG = 'http://www.w3.org/2000/svg';
const svgEl = (tag, attrs = {}) => {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
};

async function loadMap() {
  [mapData, world] = await Promise.all([
    api('/v1/customers/map'),
    world ?? fetch('vendor/countries-110m.json').then((r) => r.json()),
  ]);
  drawMap();
}

function drawMap() {
  const svg = $('map');
  const projection = d3.geoNaturalEarth1().fitSize([960, 500], { type: 'Sphere' });
  const path = d3.geoPath(projection);
  const countries = topojson.feature(world, world.objects.countries).features;
  const selectedName = mapData.features.find((f) => f.id === selectedCountry)?.properties.name;
  svg.replaceChildren(
    ...countries.map((f) =>
      svgEl('path', { d: path(f) ?? '', class: `country${f.properties.name === selectedName ? ' selected' : ''}` }),
    ),
  );
  const max = Math.max(1, ...mapData.features.map((f) => f.properties.customers));
  for (const f of mapData.features) {
    const [x, y] = projection(f.geometry.coordinates);
    const p = f.properties;
    const selected = f.id === selectedCountry;
    const circle = svgEl('circle', {
      cx: x,
      cy: y,
      r: 4 + 16 * Math.sqrt(p.customers / max),
      class: `point${selected ? ' selected' : ''}`,
      'data-country': f.id,
    });
    const title = svgEl('title');
    title.textContent = `${p.name ?? f.id}: ${p.customers} customers`;
    circle.append(title);
    svg.append(circle);
    const label = svgEl('text', { x: x + 8, y: y - 8, 'data-country': f.id });
    label.textContent = `${f.id} ${p.customers}`;
    svg.append(label);
  }
  $('map-list').replaceChildren(
    ...mapData.features.map((f) => {
      const p = f.properties;
      const by = p.byInvitationStatus;
      return el(
        'li',
        { class: f.id === selectedCountry ? 'selected' : null, 'data-country': f.id },
        `${p.name ?? f.id}: ${p.customers} (${by.accepted} accepted, ${by.pending} pending)`,
      );
    }),
  );
}

function selectCountry(country, organizationName) {
  selectedCountry = country;
  const f = mapData?.features.find((x) => x.id === country);
  $('map-caption').textContent = f
    ? `${organizationName} is in ${f.properties.name ?? country}, ${
        f.properties.customers === 1 ? 'its only customer there' : `one of ${f.properties.customers} customers there`
      }.`
    : `${organizationName} is in ${country}.`;
  if (mapData && world) drawMap();
}

// --- Expiring reports (D5) and balance (D6) ------------------------------------------------------------------------

function reportPath(ext = '') {
  const params = new URLSearchParams({ withinDays: $('report-days').value });
  return `/v1/reports/${$('report-kind').value}${ext}?${params}`;
}

async function loadReport() {
  const page = await api(reportPath());
  table(
    $('report').tBodies[0],
    page.data.length
      ? page.data.map((r) => [date(r.at), r.reason.replaceAll('_', ' '), r.product, r.customer.organizationName])
      : [[el('td', { colspan: 4, class: 'muted' }, 'Nothing expires in this window.')]],
  );
}

$('report-form').addEventListener('submit', (e) => {
  e.preventDefault();
  loadReport();
});

$('report-csv').addEventListener('click', async () => {
  // The CSV needs the key too, so it is fetched here and handed to the browser as a file.
  const blob = await (await api(reportPath('.csv'), { raw: true })).blob();
  const a = el('a', { href: URL.createObjectURL(blob), download: `${$('report-kind').value}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
});

async function loadBalance() {
  const b = await api('/v1/balance?limit=10');
  $('balances').replaceChildren(
    ...(b.balances.length
      ? b.balances.map((m) => el('li', {}, money(m)))
      : [el('li', { class: 'muted' }, 'Nothing owed.')]),
  );
  table(
    $('transactions').tBodies[0],
    b.transactions.map((t) => [date(t.createdAt), t.description, el('td', { class: 'num' }, money(t.amount))]),
  );
}

// --- Start ------------------------------------------------------------------------------------------------------

config = await fetch('config.json').then((r) => r.json());
if (sessionStorage.getItem(KEY)) {
  signIn(sessionStorage.getItem(KEY)).catch(() => {
    $('sign-in').hidden = false;
  });
}
