// Reads the JSON files of @etalab/decoupage-administratif and writes logis's CSV reference data.
// Usage: node derive-geography.mjs <package/data dir> <output dir>
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [src, out] = process.argv.slice(2);
const load = (f) => JSON.parse(readFileSync(join(src, f), 'utf8'));
const csvCell = (v) => {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};
const write = (file, header, rows) => {
  const lines = [header.join(','), ...rows.map((r) => r.map(csvCell).join(','))];
  writeFileSync(join(out, file), lines.join('\n') + '\n');
  console.log(`${file}: ${rows.length} rows`);
};
const byCode = (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

const communes = load('communes.json');
const epcis = load('epci.json');
const departements = load('departements.json');
const regions = load('regions.json');

const epciOf = new Map();
for (const e of epcis) for (const m of e.membres) epciOf.set(m.code, e.code);

const current = communes.filter((c) => c.type === 'commune-actuelle');
const currentCodes = new Set(current.map((c) => c.code));
write('communes.csv', ['code', 'nom', 'departement', 'population', 'epci'],
  current.map((c) => [c.code, c.nom, c.departement, c.population ?? '', epciOf.get(c.code) ?? '']).sort(byCode));

// Former communes: associated and delegated communes keep a name; codes of merged communes
// (anciensCodes of a current commune) are kept without a name when nothing else names them.
const former = [];
const seen = new Set();
for (const c of communes) {
  if (c.type !== 'commune-associee' && c.type !== 'commune-deleguee') continue;
  const key = `${c.code}|${c.nom}`;
  if (seen.has(key)) continue;
  seen.add(key);
  former.push([c.code, c.nom, c.type === 'commune-associee' ? 'associee' : 'deleguee', c.chefLieu]);
}
const namedCodes = new Set(former.map((f) => f[0]));
for (const c of current) {
  for (const old of c.anciensCodes ?? []) {
    if (namedCodes.has(old) || currentCodes.has(old)) continue;
    former.push([old, '', 'fusionnee', c.code]);
    namedCodes.add(old);
  }
}
write('communes_anciennes.csv', ['code', 'nom', 'type', 'commune_actuelle'],
  former.sort((a, b) => byCode(a, b) || (a[1] < b[1] ? -1 : 1)));

write('epci.csv', ['siren', 'nom', 'type'], epcis.map((e) => [e.code, e.nom, e.type]).sort(byCode));
write('departements.csv', ['code', 'nom', 'region'], departements.map((d) => [d.code, d.nom, d.region]).sort(byCode));
write('regions.csv', ['code', 'nom'], regions.map((r) => [r.code, r.nom]).sort(byCode));
